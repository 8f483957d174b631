import {
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { stackLayerGroups } from '../../freezing/shared/stackLayerGroups.ts';
import { discriminativeGroups } from './discriminativeGroups.ts';

export const DISCRIMINATIVE_OPTIONS = {
  factor: { type: 'number', default: 2.6, min: 0, exclusiveMin: true, doc: 'Each layer group learns this many times slower than the one above.' },
} as const satisfies OptionSchema;

/**
 * Sets the optimizer's parameter groups to one per layer group (model's, then head's) with
 * learning rates falling by `factor` per group from the top (ULMFiT). Runs at setup stage
 * `adapt`, before the optimizer resolves its groups.
 */
export class DiscriminativeLrGroups implements GraftPlugin {
  static readonly meta = { name: 'lr-groups:discriminative', kind: 'lr-groups', description: 'Discriminative learning rates per layer group (ULMFiT)', singleton: true } as const satisfies PluginMeta;
  static readonly options = DISCRIMINATIVE_OPTIONS;
  readonly meta = DiscriminativeLrGroups.meta;
  readonly options: Readonly<ResolvedOptions<typeof DISCRIMINATIVE_OPTIONS>>;

  constructor(input: InputOptions<typeof DISCRIMINATIVE_OPTIONS> = {}) {
    this.options = resolveOptions(this.meta.name, DISCRIMINATIVE_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => {
      trainer.role('optimizer').groups = discriminativeGroups(stackLayerGroups(trainer, this.meta.name), this.options.factor);
    }, { stage: 'adapt' });
  }
}
