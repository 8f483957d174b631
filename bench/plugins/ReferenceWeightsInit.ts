import { resolveOptions, type GraftPlugin, type InputOptions, type ResolvedOptions, type TrainerApi } from '../../core/index.ts';
import { applyReferenceWeights } from './applyReferenceWeights.ts';

const NAME = 'init:reference-weights';

export const REFERENCE_WEIGHTS_OPTIONS = {
  decayEmbeddings: { type: 'boolean', default: true, doc: 'Weight-decay the embeddings too, as the reference does (every 2-D weight).' },
} as const;

/**
 * `init:reference-weights`: at setup stage `init`, replaces `model:gpt`'s random weights with the
 * PyTorch reference's (lowbias32), so both start from the same point and their losses compare.
 */
export class ReferenceWeightsInit implements GraftPlugin {
  readonly meta = { name: NAME, kind: 'init', description: "gpt_torch.py's initial weights for model:gpt", dependsOn: ['model:gpt'] } as const;
  readonly options: ResolvedOptions<typeof REFERENCE_WEIGHTS_OPTIONS>;

  constructor(input: InputOptions<typeof REFERENCE_WEIGHTS_OPTIONS> = {}) {
    this.options = resolveOptions(NAME, REFERENCE_WEIGHTS_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => applyReferenceWeights(trainer.params, { decayEmbeddings: this.options.decayEmbeddings, owner: NAME }), { stage: 'init' });
  }
}
