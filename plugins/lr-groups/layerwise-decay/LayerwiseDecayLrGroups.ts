import {
  resolveOptions,
  type GraftPlugin,
  type PluginMeta,
  type ResolvedOptions,
  type TrainerApi,
} from '../../../core/index.ts';
import { stackLayerGroups } from '../../freezing/shared/stackLayerGroups.ts';
import { layerwiseDecayGroups, withHeadOnTop } from './layerwiseDecayGroups.ts';
import { LAYERWISE_DECAY_OPTIONS, type LayerwiseDecayOptionsInput } from './options.ts';

/**
 * Sets the optimizer's parameter groups for layer-wise learning-rate decay (ELECTRA, BEiT): the
 * model's layer groups bottom to top, then the head's as one group on top; group k of K learns at
 * `decay^(K-1-k)` times the base rate, the head at `headMultiplier` times it. Runs at setup stage
 * `adapt`, before the optimizer resolves its groups.
 */
export class LayerwiseDecayLrGroups implements GraftPlugin {
  static readonly meta = {
    name: 'lr-groups:layerwise-decay',
    kind: 'lr-groups',
    description: 'Layer-wise learning-rate decay for transformers: decay^(K-1-k) per layer group, head on top (ELECTRA, BEiT)',
    singleton: true,
    dependsOn: ['model:*', 'optimizer:*'],
  } as const satisfies PluginMeta;
  static readonly options = LAYERWISE_DECAY_OPTIONS;
  readonly meta = LayerwiseDecayLrGroups.meta;
  readonly options: Readonly<ResolvedOptions<typeof LAYERWISE_DECAY_OPTIONS>>;

  constructor(input: LayerwiseDecayOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, LAYERWISE_DECAY_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => {
      // Checks that the run declares layer groups at all (an error naming this plugin if not).
      stackLayerGroups(trainer, this.meta.name);
      const groups = withHeadOnTop(trainer.role('model').layerGroups(), trainer.maybeRole('head')?.layerGroups() ?? []);
      trainer.role('optimizer').groups = layerwiseDecayGroups(groups, this.options.decay, this.options.headMultiplier);
    }, { stage: 'adapt' });
  }
}
