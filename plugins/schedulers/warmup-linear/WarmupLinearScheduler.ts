import { resolveOptions, type InputOptions, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { checkWarmupInput } from '../shared/options.ts';
import { WARMUP_LINEAR_OPTIONS } from './options.ts';
import { warmupLinear } from './warmupLinear.ts';

/** Linear warm-up, then linear decay to `minLrRatio` × peak (BERT's schedule). */
export class WarmupLinearScheduler extends LrScheduler {
  readonly meta = { name: 'scheduler:warmup-linear', kind: 'scheduler', description: 'Linear warm-up, then linear decay' } as const;
  readonly options: Readonly<ResolvedOptions<typeof WARMUP_LINEAR_OPTIONS>>;

  constructor(input: InputOptions<typeof WARMUP_LINEAR_OPTIONS> = {}) {
    super();
    checkWarmupInput(this.meta.name, input);
    this.options = resolveOptions(this.meta.name, WARMUP_LINEAR_OPTIONS, input);
  }

  protected multiplier(step: number, total: number): number {
    return warmupLinear(step, total, this.options);
  }
}
