/**
 * Control signals any hook may raise (after fastai's cancel exceptions).
 *
 *  - `skipBatch()` aborts the current step at once: no optimizer update, `afterStep` does not run,
 *    `afterCancelStep` does. It throws, so call it as the last thing in a tap.
 *  - `endEpoch()` finishes the current step, then ends the epoch (`afterEpoch` still runs).
 *  - `stopRun(reason)` finishes the current step, then ends the run (`afterEpoch`, `afterRun` still run).
 *  - `skipOptimizerStep()` computes gradients but does not update (gradient accumulation).
 */
export class Control {
  epochEnding = false;
  stopReason: string | undefined = undefined;
  optimizerSkipped = false;

  skipBatch(reason = 'skipped by a hook'): never {
    throw new CancelStep(reason);
  }

  endEpoch(): void {
    this.epochEnding = true;
  }

  stopRun(reason: string): void {
    this.stopReason ??= reason;
  }

  skipOptimizerStep(): void {
    this.optimizerSkipped = true;
  }

  get stopping(): boolean {
    return this.stopReason !== undefined;
  }
}

/** Thrown by `Control.skipBatch`; caught by the loop, never by user code. */
export class CancelStep extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CancelStep';
  }
}
