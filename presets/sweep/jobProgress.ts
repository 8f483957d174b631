import type { GraftPlugin, TrainerApi } from '../../core/index.ts';
import type { JobProgress } from './jobQueue.ts';

/**
 * Added by a sweep worker to every stage it trains: the stage, step and training loss go to the
 * job's progress (what `graft sweep` prints while it waits), at most every `everyMs`. The loss is
 * read asynchronously, and only on the steps that report.
 */
export class SweepProgress implements GraftPlugin {
  readonly meta = { name: 'callback:sweep-progress', kind: 'callback', description: "Reports a sweep job's stage, step and loss to the job queue" } as const;
  private last = -Infinity;

  constructor(
    private readonly stage: string,
    private readonly report: (p: JobProgress) => void,
    private readonly everyMs = 1000,
  ) {}

  apply(trainer: TrainerApi): void {
    trainer.tap('beforeRun', this, (ctx) => this.report({ stage: this.stage, step: ctx.state.step }), { stage: 'observe' });
    trainer.tap('afterStep', this, async (ctx) => {
      const now = Date.now();
      if (now - this.last < this.everyMs) return;
      this.last = now;
      const loss = ctx.loss ? (await ctx.loss.data())[0] : undefined;
      this.report({ stage: this.stage, step: ctx.state.step, ...(loss !== undefined ? { loss } : {}) });
    }, { stage: 'observe' });
  }
}
