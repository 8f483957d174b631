import { clip, ErrorCodes, GraftError, type Manifest, type NamedArray } from '../../core/index.ts';

/** Graft's LayerNorm epsilon (core/nn `layerNorm`'s default, which model:gpt uses). */
export const GRAFT_LAYER_NORM_EPS = 1e-5;
/** transformers' name of GELU's tanh approximation, the one core/nn `gelu` computes (GPT-2's). */
export const HF_GELU_TANH = 'gelu_new';

/** Tensors with Hugging Face GPT-2 names and the GPT2Config that goes with them. */
export interface HfGpt2 {
  tensors: Record<string, NamedArray>;
  config: Record<string, unknown>;
}

const BERT_WHY =
  "Graft's BERT-style encoder (model:gpt with causal: false) is a pre-LayerNorm stack: LayerNorm before attention and before the MLP, a final LayerNorm, none on the embeddings. " +
  "BertForMaskedLM is post-LayerNorm: LayerNorm after each residual add and on the embeddings, no final one. The same weights compute a different function in BERT's layout, " +
  'so there is no exact BertForMaskedLM export (head:mlm alone would map to cls.predictions); refusing rather than writing a model that gives other logits';

function refuse(what: string, hint: string, file?: string): GraftError {
  return new GraftError(ErrorCodes.CHECKPOINT, `cannot export as Hugging Face: ${what}`, { file, hint });
}

/**
 * The Hugging Face GPT2LMHeadModel state dict and config of a Graft checkpoint's parameters, with
 * the exact same function: `backbone.tokEmbed` → `transformer.wte.weight`, `posEmbed` → `wpe`,
 * block i's `ln1`/`ln2` → `h.{i}.ln_1`/`ln_2` (gamma → weight, beta → bias), `attn.qkv` →
 * `attn.c_attn`, `attn.proj` → `attn.c_proj`, `mlp.fc` → `mlp.c_fc`, `mlp.proj` → `mlp.c_proj`
 * (Graft's dense kernels are [in, out], the layout of GPT-2's Conv1D, and qkv splits into q, k, v
 * thirds then heads as GPT-2's does), `lnF` → `transformer.ln_f`; an untied `head.lm.kernel` [D, V]
 * → `lm_head.weight` [V, D]. A model without biases gets zero biases (GPT-2 always has them: the
 * same function). Anything that does not map exactly is a GRAFT_ERR_CHECKPOINT saying why:
 * adapters (LoRA: `graft merge` first), a bidirectional model (BERT's layout differs: post-LN),
 * segment embeddings, a head other than a bias-free `head:lm`, a parameter left over.
 */
export function gptToHf(params: Record<string, NamedArray>, plugins: Manifest['plugins'], file?: string): HfGpt2 {
  for (const [name, p] of Object.entries(plugins ?? {})) {
    if (p.kind !== 'adapter') continue;
    if (name === 'adapter:lora') throw refuse('the checkpoint has LoRA adapters (adapter:lora) not folded into the weights', `Run \`graft merge <checkpoint> --out DIR\` first and export the merged checkpoint`, file);
    throw refuse(`the checkpoint has ${name}, layers GPT-2 does not have`, 'Export a checkpoint without adapters', file);
  }
  const lora = Object.keys(params).find((n) => n.startsWith('adapter.'));
  if (lora) throw refuse(`parameter "${lora}" belongs to an adapter`, 'Run `graft merge <checkpoint> --out DIR` first (LoRA), or export a checkpoint without adapters', file);
  const model = plugins?.['model:gpt'];
  if (!model) {
    const other = Object.entries(plugins ?? {}).find(([, p]) => p.kind === 'model')?.[0];
    throw refuse(`the model is ${other ?? 'not recorded'}, not model:gpt`, 'Only model:gpt checkpoints map to GPT-2', file);
  }
  const o = (model.options ?? {}) as Record<string, unknown>;
  const head = Object.entries(plugins ?? {}).find(([, p]) => p.kind === 'head');
  if (o.causal === false) {
    if (head?.[0] === 'head:mlm') throw refuse(BERT_WHY, 'Keep the model in Graft (graft eval / predict), or retrain it as a causal GPT', file);
    throw refuse('the model is bidirectional (causal: false); GPT-2 attends causally', 'Only causal model:gpt checkpoints map to GPT2LMHeadModel', file);
  }
  if (typeof o.segmentVocabSize === 'number' && o.segmentVocabSize > 0) {
    throw refuse(`the model has segment embeddings (segmentVocabSize ${o.segmentVocabSize}); GPT-2 has none (its token_type_ids reuse wte)`, 'Export a model without segments', file);
  }
  if (!head || head[0] !== 'head:lm') {
    throw refuse(`the head is ${head?.[0] ?? 'missing'}; GPT2LMHeadModel needs head:lm`, 'Export a language model (model:gpt + head:lm)', file);
  }
  const ho = (head[1].options ?? {}) as Record<string, unknown>;
  const tied = ho.tied !== false;
  if (tied && ho.embedding !== undefined && ho.embedding !== 'backbone.tokEmbed') {
    throw refuse(`the head is tied to "${clip(String(ho.embedding))}", not the token embedding`, 'GPT-2 ties lm_head to transformer.wte only', file);
  }
  if (!tied && ho.bias === true) throw refuse('the untied head has a bias (head.lm.bias); GPT-2\'s lm_head has none', 'Export a head without bias', file);

  const left = new Set(Object.keys(params));
  const take = (name: string, rank: number): NamedArray => {
    const a = params[name];
    if (!a) throw refuse(`parameter "${name}" is missing`, 'The checkpoint is not a complete model:gpt', file);
    if (a.dtype !== 'float32' || a.shape.length !== rank) throw refuse(`parameter "${name}" is ${a.dtype} [${a.shape}]`, `Expected float32 of rank ${rank}`, file);
    left.delete(name);
    return a;
  };
  const tensors: Record<string, NamedArray> = {};
  const wte = take('backbone.tokEmbed', 2);
  const wpe = take('backbone.posEmbed', 2);
  const [V, D] = wte.shape as [number, number];
  const C = wpe.shape[0]!;
  tensors['transformer.wte.weight'] = wte;
  tensors['transformer.wpe.weight'] = wpe;
  const L = Object.keys(params).filter((n) => /^backbone\.blocks\.\d+\.ln1\.gamma$/.test(n)).length;
  const nHeads = typeof o.nHeads === 'number' ? o.nHeads : NaN;
  if (L === 0 || !Number.isInteger(nHeads) || D % nHeads !== 0) throw refuse(`no blocks or a head count (${o.nHeads}) that does not divide ${D}`, 'The checkpoint is not a complete model:gpt', file);
  let inner = 0;
  for (let i = 0; i < L; i++) {
    const g = `backbone.blocks.${i}`;
    const h = `transformer.h.${i}`;
    tensors[`${h}.ln_1.weight`] = take(`${g}.ln1.gamma`, 1);
    tensors[`${h}.ln_1.bias`] = take(`${g}.ln1.beta`, 1);
    tensors[`${h}.ln_2.weight`] = take(`${g}.ln2.gamma`, 1);
    tensors[`${h}.ln_2.bias`] = take(`${g}.ln2.beta`, 1);
    for (const [from, to] of [['attn.qkv', 'attn.c_attn'], ['attn.proj', 'attn.c_proj'], ['mlp.fc', 'mlp.c_fc'], ['mlp.proj', 'mlp.c_proj']] as const) {
      const w = take(`${g}.${from}.kernel`, 2);
      tensors[`${h}.${to}.weight`] = w;
      const out = w.shape[1]!;
      tensors[`${h}.${to}.bias`] = params[`${g}.${from}.bias`] ? take(`${g}.${from}.bias`, 1) : { dtype: 'float32', shape: [out], data: new Float32Array(out) };
    }
    inner = tensors[`${h}.mlp.c_fc.weight`]!.shape[1]!;
  }
  tensors['transformer.ln_f.weight'] = take('backbone.lnF.gamma', 1);
  tensors['transformer.ln_f.bias'] = take('backbone.lnF.beta', 1);
  if (!tied) {
    const k = take('head.lm.kernel', 2);
    if (k.shape[0] !== D) throw refuse(`head.lm.kernel is [${k.shape}], expected [${D}, vocab]`, 'The head does not read the model\'s features', file);
    tensors['lm_head.weight'] = { dtype: 'float32', shape: [k.shape[1]!, D], data: transpose(k.data as Float32Array, D, k.shape[1]!) };
  }
  if (left.size > 0) {
    const names = [...left];
    throw refuse(`parameter${names.length > 1 ? 's' : ''} ${names.slice(0, 4).map((n) => `"${n}"`).join(', ')}${names.length > 4 ? ', ...' : ''} ha${names.length > 1 ? 've' : 's'} no GPT-2 counterpart`, 'Export a plain model:gpt + head:lm checkpoint', file);
  }
  const pdrop = typeof o.dropout === 'number' ? o.dropout : 0.1;
  const config: Record<string, unknown> = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: V,
    n_positions: C,
    n_ctx: C,
    n_embd: D,
    n_layer: L,
    n_head: nHeads,
    n_inner: inner,
    activation_function: HF_GELU_TANH,
    layer_norm_epsilon: GRAFT_LAYER_NORM_EPS,
    resid_pdrop: pdrop,
    embd_pdrop: pdrop,
    attn_pdrop: pdrop,
    initializer_range: typeof o.initStd === 'number' ? o.initStd : 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: tied,
    use_cache: true,
    torch_dtype: 'float32',
  };
  return { tensors, config };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}
