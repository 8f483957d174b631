import { BottleneckAdapter, LoraAdapter } from '../../plugins/adapters/index.ts';
import { ParamFreezing } from '../../plugins/freezing/index.ts';
import { LayerwiseDecayLrGroups } from '../../plugins/lr-groups/index.ts';
import { choice, use, type ChoiceAlias, type Use } from '../recipe/index.ts';

/**
 * Fine-tuning methods as data: for each value of `finetune.method`, the plugin a fine-tuning
 * stage adds (none for `full`), with the options of the method's usual setup. All start from the
 * same checkpoint and data; only what learns, and how fast, differs. Written for `model:gpt` with a
 * task head whose parameters are under `head.` (`head:sequence-classifier`, `head:classifier`).
 */

/** The slot a stage keeps for the method's plugin (`emptySlot(FINETUNE_METHOD_SLOT)`); its keys are `<stage>.method.<option>`. */
export const FINETUNE_METHOD_SLOT = 'method';

/** The task head, trained by every method (a new head must learn). */
export const HEAD_PARAMS = 'head.**';

/** GPT's weight matrices LoRA adapts: attention q/k/v (one fused matrix), attention output, MLP in and out. */
export const GPT_LORA_TARGETS: readonly string[] = [
  'backbone.blocks.*.attn.qkv.kernel',
  'backbone.blocks.*.attn.proj.kernel',
  'backbone.blocks.*.mlp.fc.kernel',
  'backbone.blocks.*.mlp.proj.kernel',
];

/** GPT's LayerNorm parameters (`ln1`, `ln2` of each block and the final `lnF`; gamma and beta). */
export const GPT_LAYER_NORMS = 'backbone.**.ln*.*';

export const FINETUNE_METHOD_NAMES = ['full', 'lora', 'bitfit', 'linear-probe', 'adapters', 'layerwise-lr'] as const;
export type FinetuneMethod = (typeof FINETUNE_METHOD_NAMES)[number];

/**
 * The plugin each method adds to a fine-tuning stage (`null`: none):
 *  - `full`: none, everything learns;
 *  - `lora` (Hu et al. 2021): `adapter:lora` on attention q/k/v, attention output and both MLP
 *    matrices, rank 8, alpha 16; the head learns too;
 *  - `bitfit` (Ben Zaken et al. 2021): only bias terms learn (a LayerNorm's beta is its bias), and the head;
 *  - `linear-probe`: only the head learns;
 *  - `adapters` (Houlsby et al. 2019): `adapter:bottleneck` after each block's attention and MLP
 *    branch, width 16; the LayerNorms and the head learn too, as in Houlsby's setup;
 *  - `layerwise-lr` (ELECTRA, BEiT): everything learns, layer group k of K at decay^(K-1-k) times the rate.
 */
export const FINETUNE_METHODS: Readonly<Record<FinetuneMethod, Use | null>> = {
  full: null,
  lora: use(LoraAdapter, { target: [...GPT_LORA_TARGETS], rank: 8, alpha: 16, dropout: 0, alsoTrain: [HEAD_PARAMS] }),
  bitfit: use(ParamFreezing, { pattern: ['**.bias', '**.beta', HEAD_PARAMS], invert: true }),
  'linear-probe': use(ParamFreezing, { exceptHead: true }),
  adapters: use(BottleneckAdapter, { pattern: 'backbone.blocks.*.*', size: 16, alsoTrain: [HEAD_PARAMS, GPT_LAYER_NORMS] }),
  'layerwise-lr': use(LayerwiseDecayLrGroups, { decay: 0.8 }),
};

/**
 * `finetuneMethodChoice('finetune.method')`: the choice alias (`finetune.method=lora`) that puts
 * the method's plugin in that slot, a slot the stage keeps empty (`emptySlot('method')`) or fills
 * with one of the methods' plugins. The chosen plugin's options are then keys of the slot
 * (`finetune.method.rank`, `.alpha`, `.dropout` for LoRA).
 */
export function finetuneMethodChoice(slot: string, doc = 'Fine-tuning method: full, lora, bitfit, linear-probe, adapters or layerwise-lr'): ChoiceAlias {
  return choice(slot, FINETUNE_METHODS, doc);
}
