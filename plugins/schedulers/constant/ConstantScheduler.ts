import { resolveOptions, type InputOptions } from '../../../core/index.ts';
import { LrScheduler } from '../shared/LrScheduler.ts';
import { constant } from './constant.ts';
import { CONSTANT_OPTIONS } from './options.ts';

/** Keeps the optimizer's learning rate at its setup value (undoes any change made in between). */
export class ConstantScheduler extends LrScheduler {
  readonly meta = { name: 'scheduler:constant', kind: 'scheduler', description: 'Constant learning rate' } as const;
  readonly options: Readonly<Record<string, never>>;

  constructor(input: InputOptions<typeof CONSTANT_OPTIONS> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, CONSTANT_OPTIONS, input);
  }

  protected multiplier(step: number, total: number): number {
    return constant(step, total);
  }
}
