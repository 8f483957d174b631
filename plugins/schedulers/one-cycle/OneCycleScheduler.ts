import { badOption, resolveOptions, type InputOptions, type OptionSchema, type PluginMeta, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { TOTAL_STEPS_OPTION } from '../shared/options.ts';
import { oneCycle } from './oneCycle.ts';

/** Smith's one-cycle learning rate (fastai defaults). */
export class OneCycleScheduler extends LrScheduler {
  static readonly meta = { name: 'scheduler:one-cycle', kind: 'scheduler', description: "Smith's one-cycle policy (cosine up, cosine down)" } as const satisfies PluginMeta;
  static readonly options = {
    pctStart: { type: 'number', default: 0.25, min: 0, exclusiveMin: true, max: 1, doc: 'Fraction of the run spent rising, in (0, 1).' },
    divFactor: { type: 'number', default: 25, min: 0, exclusiveMin: true, doc: 'Initial rate is peak / divFactor.' },
    finalDivFactor: {
      type: 'number',
      default: 1e4,
      min: 0,
      exclusiveMin: true,
      doc: 'Final rate is peak / (divFactor × finalDivFactor).',
    },
    ...TOTAL_STEPS_OPTION,
  } as const satisfies OptionSchema;
  readonly meta = OneCycleScheduler.meta;
  readonly options: Readonly<ResolvedOptions<typeof OneCycleScheduler.options>>;

  constructor(input: InputOptions<typeof OneCycleScheduler.options> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, OneCycleScheduler.options, input);
    // A phase of length zero would divide by zero.
    if (this.options.pctStart >= 1) throw badOption(this.meta.name, 'pctStart', 'a number in (0, 1)', this.options.pctStart);
  }

  protected multiplier(step: number, total: number): number {
    return oneCycle(step, total, this.options);
  }
}
