import { ErrorCodes, GraftError, type GraftPlugin, type TrainerApi } from '../../core/index.ts';
import type { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';

/** The signals that stop a run after saving it. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit codes of a run stopped by a signal: 128 + the signal number, as shells report them. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * A request to stop, shared by whoever receives the signal (the CLI) and the running stages. Once
 * requested it stays requested: no later stage starts, no stage is marked complete.
 */
export class Interruption {
  private sig: StopSignal | undefined;

  request(signal: StopSignal): void {
    this.sig ??= signal;
  }

  get signal(): StopSignal | undefined {
    return this.sig;
  }

  get requested(): boolean {
    return this.sig !== undefined;
  }
}

/**
 * A run stopped by a signal: the current stage saved a checkpoint (if it trained), wrote no
 * `result.json`, and no later stage ran. Running the same command again resumes it.
 */
export class InterruptedError extends GraftError {
  readonly signal: StopSignal;
  /** Where the stopped stage saved, if it trained since it started (or resumed). */
  readonly checkpoint: string | undefined;

  constructor(signal: StopSignal, message: string, checkpoint?: string) {
    super(ErrorCodes.INTERRUPTED, message);
    this.name = 'InterruptedError';
    this.signal = signal;
    this.checkpoint = checkpoint;
  }

  get exitCode(): number {
    return SIGNAL_EXIT_CODES[this.signal];
  }
}

const NAME = 'callback:stop-on-signal';

/**
 * Added by the runner to every stage it trains: once the interruption is requested, the step in
 * progress finishes, `checkpoint:periodic` saves it (a step checkpoint and the `latest.json`
 * pointer) at the end of `afterStep`, where its periodic saves are taken, and the run stops with
 * an `InterruptedError`. Stopping through the error path means nothing runs that an uninterrupted
 * run would not have run at this point: no end-of-run evaluation, no epoch end, no restore of early
 * stopping's best weights, so the resumed run continues exactly. Requested before this run
 * trained a step, the run stops at once (there is nothing new to save).
 */
export class StopOnSignal implements GraftPlugin {
  readonly meta = {
    name: NAME,
    kind: 'callback',
    description: 'Stops the run at the end of the current step after saving a checkpoint, once a signal asked to stop',
  } as const;
  private stepsThisRun = 0;

  constructor(private readonly interruption: Interruption, private readonly stage: string) {}

  apply(trainer: TrainerApi): void {
    trainer.tap('beforeRun', this, (ctx) => {
      this.stepsThisRun = 0;
      this.stopIfNothingToSave(ctx.state.step);
    }, { stage: 'first' });
    trainer.tap('beforeStep', this, (ctx) => this.stopIfNothingToSave(ctx.state.step), { stage: 'first' });
    trainer.tap('afterStep', this, async (ctx) => {
      this.stepsThisRun++;
      const signal = this.interruption.signal;
      if (!signal) return;
      const periodic = ctx.trainer.plugin<PeriodicCheckpoint>('checkpoint:periodic');
      const saved = periodic ? await periodic.saveNow(ctx) : undefined;
      throw new InterruptedError(signal, `stage ${this.stage}: stopped by ${signal} at step ${ctx.state.step}${saved ? `; saved ${saved}` : ''}`, saved);
    }, { stage: 'last' });
  }

  private stopIfNothingToSave(step: number): void {
    const signal = this.interruption.signal;
    if (signal && this.stepsThisRun === 0) throw new InterruptedError(signal, `stage ${this.stage}: stopped by ${signal} at step ${step}, before training further`);
  }
}
