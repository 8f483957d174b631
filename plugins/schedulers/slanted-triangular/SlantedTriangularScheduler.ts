import { badOption, resolveOptions, type InputOptions, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { SLANTED_TRIANGULAR_OPTIONS } from './options.ts';
import { slantedTriangular } from './slantedTriangular.ts';

/** ULMFiT's slanted triangular learning rate: short linear rise, long linear decay. */
export class SlantedTriangularScheduler extends LrScheduler {
  readonly meta = {
    name: 'scheduler:slanted-triangular',
    kind: 'scheduler',
    description: 'Slanted triangular learning rate (ULMFiT)',
  } as const;
  readonly options: Readonly<ResolvedOptions<typeof SLANTED_TRIANGULAR_OPTIONS>>;

  constructor(input: InputOptions<typeof SLANTED_TRIANGULAR_OPTIONS> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, SLANTED_TRIANGULAR_OPTIONS, input);
    // cutFrac = 1 leaves no decay phase (the formula divides by cut·0).
    if (this.options.cutFrac >= 1) throw badOption(this.meta.name, 'cutFrac', 'a number in (0, 1)', this.options.cutFrac);
  }

  protected multiplier(step: number, total: number): number {
    return slantedTriangular(step, total, this.options);
  }
}
