import { resolveOptions, type InputOptions, type OptionSchema, type PluginMeta, type ResolvedOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { checkWarmupInput, TOTAL_STEPS_OPTION, WARMUP_OPTIONS } from '../shared/options.ts';
import { warmupLinear } from './warmupLinear.ts';

/** Linear warm-up, then linear decay to `minLrRatio` × peak (BERT's schedule). */
export class WarmupLinearScheduler extends LrScheduler {
  static readonly meta = { name: 'scheduler:warmup-linear', kind: 'scheduler', description: 'Linear warm-up, then linear decay' } as const satisfies PluginMeta;
  static readonly options = { ...WARMUP_OPTIONS, ...TOTAL_STEPS_OPTION } as const satisfies OptionSchema;
  readonly meta = WarmupLinearScheduler.meta;
  readonly options: Readonly<ResolvedOptions<typeof WarmupLinearScheduler.options>>;

  constructor(input: InputOptions<typeof WarmupLinearScheduler.options> = {}) {
    super();
    checkWarmupInput(this.meta.name, input);
    this.options = resolveOptions(this.meta.name, WarmupLinearScheduler.options, input);
  }

  protected multiplier(step: number, total: number): number {
    return warmupLinear(step, total, this.options);
  }
}
