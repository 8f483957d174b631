import { badOption, resolveOptions, type InputOptions, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { oneCycle } from './oneCycle.ts';
import { ONE_CYCLE_OPTIONS } from './options.ts';

/** Smith's one-cycle learning rate (fastai defaults). */
export class OneCycleScheduler extends LrScheduler {
  readonly meta = { name: 'scheduler:one-cycle', kind: 'scheduler', description: "Smith's one-cycle policy (cosine up, cosine down)" } as const;
  readonly options: Readonly<ResolvedOptions<typeof ONE_CYCLE_OPTIONS>>;

  constructor(input: InputOptions<typeof ONE_CYCLE_OPTIONS> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, ONE_CYCLE_OPTIONS, input);
    // A phase of length zero would divide by zero.
    if (this.options.pctStart >= 1) throw badOption(this.meta.name, 'pctStart', 'a number in (0, 1)', this.options.pctStart);
  }

  protected multiplier(step: number, total: number): number {
    return oneCycle(step, total, this.options);
  }
}
