import { resolveOptions, type InputOptions, type OptionSchema, type PluginMeta } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { constant } from './constant.ts';

/** Keeps the optimizer's learning rate at its setup value (undoes any change made in between). */
export class ConstantScheduler extends LrScheduler {
  static readonly meta = { name: 'scheduler:constant', kind: 'scheduler', description: 'Constant learning rate' } as const satisfies PluginMeta;
  static readonly options = {} as const satisfies OptionSchema;
  readonly meta = ConstantScheduler.meta;
  readonly options: Readonly<Record<string, never>>;

  constructor(input: InputOptions<typeof ConstantScheduler.options> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, ConstantScheduler.options, input);
  }

  protected multiplier(step: number, total: number): number {
    return constant(step, total);
  }
}
