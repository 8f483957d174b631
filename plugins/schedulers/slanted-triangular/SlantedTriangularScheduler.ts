import { badOption, resolveOptions, type InputOptions, type OptionSchema, type PluginMeta, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { TOTAL_STEPS_OPTION } from '../shared/options.ts';
import { slantedTriangular } from './slantedTriangular.ts';

/** ULMFiT's slanted triangular learning rate: short linear rise, long linear decay. */
export class SlantedTriangularScheduler extends LrScheduler {
  static readonly meta = {
    name: 'scheduler:slanted-triangular',
    kind: 'scheduler',
    description: 'Slanted triangular learning rate (ULMFiT)',
  } as const satisfies PluginMeta;
  static readonly options = {
    cutFrac: { type: 'number', default: 0.1, min: 0, exclusiveMin: true, max: 1, doc: 'Fraction of steps spent rising, in (0, 1).' },
    ratio: { type: 'number', default: 32, min: 1, doc: 'How much smaller the lowest rate is than lrMax.' },
    ...TOTAL_STEPS_OPTION,
  } as const satisfies OptionSchema;
  readonly meta = SlantedTriangularScheduler.meta;
  readonly options: Readonly<ResolvedOptions<typeof SlantedTriangularScheduler.options>>;

  constructor(input: InputOptions<typeof SlantedTriangularScheduler.options> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, SlantedTriangularScheduler.options, input);
    // cutFrac = 1 leaves no decay phase (the formula divides by cut·0).
    if (this.options.cutFrac >= 1) throw badOption(this.meta.name, 'cutFrac', 'a number in (0, 1)', this.options.cutFrac);
  }

  protected multiplier(step: number, total: number): number {
    return slantedTriangular(step, total, this.options);
  }
}
