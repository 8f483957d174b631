import { resolveOptions, type InputOptions, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { checkWarmupInput } from '../shared/options.ts';
import { WARMUP_COSINE_OPTIONS } from './options.ts';
import { warmupCosine } from './warmupCosine.ts';

/** Linear warm-up, then cosine decay to `minLrRatio` × peak. */
export class WarmupCosineScheduler extends LrScheduler {
  readonly meta = { name: 'scheduler:warmup-cosine', kind: 'scheduler', description: 'Linear warm-up, then cosine decay' } as const;
  readonly options: Readonly<ResolvedOptions<typeof WARMUP_COSINE_OPTIONS>>;

  constructor(input: InputOptions<typeof WARMUP_COSINE_OPTIONS> = {}) {
    super();
    checkWarmupInput(this.meta.name, input);
    this.options = resolveOptions(this.meta.name, WARMUP_COSINE_OPTIONS, input);
  }

  protected multiplier(step: number, total: number): number {
    return warmupCosine(step, total, this.options);
  }
}
