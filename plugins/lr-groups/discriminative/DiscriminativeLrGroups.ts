import { resolveOptions, type GraftPlugin, type InputOptions, type ResolvedOptions, type TrainerApi } from '../../../core/index.ts';
import { stackLayerGroups } from '../../freezing/shared/stackLayerGroups.ts';
import { discriminativeGroups } from './discriminativeGroups.ts';
import { DISCRIMINATIVE_OPTIONS } from './options.ts';

const NAME = 'lr-groups:discriminative';

/**
 * Sets the optimizer's parameter groups to one per layer group (model's, then head's) with
 * learning rates falling by `factor` per group from the top (ULMFiT). Runs at setup stage
 * `adapt`, before the optimizer resolves its groups.
 */
export class DiscriminativeLrGroups implements GraftPlugin {
  readonly meta = { name: NAME, kind: 'lr-groups', description: 'Discriminative learning rates per layer group (ULMFiT)', singleton: true } as const;
  readonly options: Readonly<ResolvedOptions<typeof DISCRIMINATIVE_OPTIONS>>;

  constructor(input: InputOptions<typeof DISCRIMINATIVE_OPTIONS> = {}) {
    this.options = resolveOptions(NAME, DISCRIMINATIVE_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => {
      trainer.role('optimizer').groups = discriminativeGroups(stackLayerGroups(trainer, NAME), this.options.factor);
    }, { stage: 'adapt' });
  }
}
