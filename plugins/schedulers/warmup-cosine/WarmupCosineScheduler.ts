import { resolveOptions, type InputOptions, type OptionSchema, type PluginMeta, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { checkWarmupInput, TOTAL_STEPS_OPTION, WARMUP_OPTIONS } from '../shared/options.ts';
import { warmupCosine } from './warmupCosine.ts';

/** Linear warm-up, then cosine decay to `minLrRatio` × peak. */
export class WarmupCosineScheduler extends LrScheduler {
  static readonly meta = { name: 'scheduler:warmup-cosine', kind: 'scheduler', description: 'Linear warm-up, then cosine decay' } as const satisfies PluginMeta;
  static readonly options = { ...WARMUP_OPTIONS, ...TOTAL_STEPS_OPTION } as const satisfies OptionSchema;
  readonly meta = WarmupCosineScheduler.meta;
  readonly options: Readonly<ResolvedOptions<typeof WarmupCosineScheduler.options>>;

  constructor(input: InputOptions<typeof WarmupCosineScheduler.options> = {}) {
    super();
    checkWarmupInput(this.meta.name, input);
    this.options = resolveOptions(this.meta.name, WarmupCosineScheduler.options, input);
  }

  protected multiplier(step: number, total: number): number {
    return warmupCosine(step, total, this.options);
  }
}
