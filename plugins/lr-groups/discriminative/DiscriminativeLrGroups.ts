import {
  clip,
  ErrorCodes,
  GraftError,
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { stackLayerGroups } from '../../freezing/shared/stackLayerGroups.ts';
import { discriminativeGroups, withTopGroups } from './discriminativeGroups.ts';

export const DISCRIMINATIVE_OPTIONS = {
  factor: { type: 'number', default: 2.6, min: 0, exclusiveMin: true, doc: 'Each layer group learns this many times slower than the one above.' },
  topGroups: {
    type: 'string[]',
    default: [] as string[],
    doc: "Layer groups, named by the pattern the model or head declares (backbone.tokEmbed), moved above all others in the order listed, so they learn at the top rates: language-model fine-tuning with a decoder tied to the embedding (fastai's awd_lstm_lm_split).",
  },
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
      const groups = stackLayerGroups(trainer, this.meta.name);
      const ordered = withTopGroups(groups, this.options.topGroups);
      if (typeof ordered === 'string') {
        throw new GraftError(ErrorCodes.BAD_OPTION, `"${clip(ordered)}" is not a layer group of the run`, {
          plugin: this.meta.name,
          option: 'topGroups',
          expected: `patterns of its layer groups: ${groups.map(String).join(', ')}`,
        });
      }
      trainer.role('optimizer').groups = discriminativeGroups(ordered, this.options.factor);
    }, { stage: 'adapt' });
  }
}
