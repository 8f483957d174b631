/**
 * `graft export --format hf`: a tiny GPT checkpoint becomes Hugging Face GPT-2 files whose
 * tensors, run through a GPT-2 forward written here by hand from transformers' modeling_gpt2
 * (names from config.json and model.safetensors only), give Graft's logits within 1e-4; the
 * tokenizer.json, read by a BPE encoder written here the way `tokenizers` applies it, gives
 * Graft's ids. Checkpoints that do not map exactly are refused (exit 1, nothing written).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { createTrainer, decodeSafetensors, ErrorCodes, GraftError, readCheckpoint, silentLogger, type GraftPlugin, type NamedArray } from '../../core/index.ts';
import { gptToHf } from '../../cli/hf/gpt2Export.ts';
import { LoraAdapter } from '../../plugins/adapters/index.ts';
import { TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { LmHead, MlmHead } from '../../plugins/heads/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { MaskedLmObjective, NextTokenObjective } from '../../plugins/objectives/index.ts';
import { ByteBpeTokenizer, ByteBpeTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { BYTE_TO_CHAR } from '../../plugins/tokenizers/byte-bpe/bytesToUnicode.ts';
import { GPT2_PATTERN } from '../../plugins/tokenizers/byte-bpe/pretokenize.ts';
import { ToySgd } from '../helpers/toy.ts';

const root = mkdtempSync(path.join(tmpdir(), 'graft-export-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));
test.before(async () => {
  await tf.setBackend('cpu');
});

const TEXT = Array.from({ length: 40 }, (_, i) => `The whale ${i} swam where the sea's cold water met the ship; sailors said "ahoy!" ${i * 7} times.`).join('\n');
// initStd 0.5: activations large enough that a wrong detail (attention scale, GELU variant, LayerNorm eps) moves logits far past 1e-4.
const MODEL = { contextLength: 12, nLayers: 2, nHeads: 2, dModel: 16, dropout: 0, initStd: 0.5 };

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

/** Train a tiny model a few steps (so no weight is at its init) and save it. */
async function checkpoint(name: string, plugins: GraftPlugin[]) {
  const trainer = createTrainer({
    plugins: [new TextCorpusDataset({ seqLen: 12, batchSize: 2, validationFraction: 0 }, { texts: [TEXT] }), ...plugins, new ToySgd(0.05)],
    options: { seed: 3, maxSteps: 3 },
    logger: silentLogger(),
  });
  await trainer.setup();
  await trainer.fit();
  const dir = path.join(root, name);
  await trainer.save(dir);
  return { trainer, dir };
}

// ---- a GPT-2 forward over the exported files, following transformers' modeling_gpt2 ----

type Tensors = Record<string, NamedArray>;
const W = (s: Tensors, n: string) => {
  const a = s[n];
  if (!a) throw new Error(`no tensor ${n} in model.safetensors`);
  return a.data as Float32Array;
};

function layerNorm(x: Float32Array, T: number, D: number, w: Float32Array, b: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += x[t * D + d]!;
    mean /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[t * D + d]! - mean) ** 2;
    const r = 1 / Math.sqrt(v / D + eps);
    for (let d = 0; d < D; d++) y[t * D + d] = (x[t * D + d]! - mean) * r * w[d]! + b[d]!;
  }
  return y;
}

/** Conv1D: x [T, nx] @ w [nx, nf] + b. */
function conv1d(x: Float32Array, T: number, nx: number, w: Float32Array, b: Float32Array, nf: number): Float32Array {
  const y = new Float32Array(T * nf);
  for (let t = 0; t < T; t++)
    for (let f = 0; f < nf; f++) {
      let s = b[f]!;
      for (let i = 0; i < nx; i++) s += x[t * nx + i]! * w[i * nf + f]!;
      y[t * nf + f] = s;
    }
  return y;
}

const geluNew = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** GPT2LMHeadModel's logits [T, V] for one sequence of ids. */
function gpt2Logits(s: Tensors, cfg: Record<string, number | boolean | string>, ids: number[]): Float32Array {
  const D = cfg.n_embd as number;
  const H = cfg.n_head as number;
  const hd = D / H;
  const eps = cfg.layer_norm_epsilon as number;
  const T = ids.length;
  const V = s['transformer.wte.weight']!.shape[0]!;
  const wte = W(s, 'transformer.wte.weight');
  const wpe = W(s, 'transformer.wpe.weight');
  let h = new Float32Array(T * D);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) h[t * D + d] = wte[ids[t]! * D + d]! + wpe[t * D + d]!;
  for (let l = 0; l < (cfg.n_layer as number); l++) {
    const p = `transformer.h.${l}`;
    const a = layerNorm(h, T, D, W(s, `${p}.ln_1.weight`), W(s, `${p}.ln_1.bias`), eps);
    const qkv = conv1d(a, T, D, W(s, `${p}.attn.c_attn.weight`), W(s, `${p}.attn.c_attn.bias`), 3 * D);
    const att = new Float32Array(T * D);
    for (let head = 0; head < H; head++)
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let e = 0; e < hd; e++) dot += qkv[i * 3 * D + head * hd + e]! * qkv[j * 3 * D + D + head * hd + e]!;
          scores.push(dot / Math.sqrt(hd));
        }
        const m = Math.max(...scores);
        const ex = scores.map((x) => Math.exp(x - m));
        const z = ex.reduce((u, v) => u + v, 0);
        for (let e = 0; e < hd; e++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += (ex[j]! / z) * qkv[j * 3 * D + 2 * D + head * hd + e]!;
          att[i * D + head * hd + e] = acc;
        }
      }
    const proj = conv1d(att, T, D, W(s, `${p}.attn.c_proj.weight`), W(s, `${p}.attn.c_proj.bias`), D);
    h = h.map((v, k) => v + proj[k]!);
    const m = layerNorm(h, T, D, W(s, `${p}.ln_2.weight`), W(s, `${p}.ln_2.bias`), eps);
    const inner = cfg.n_inner as number;
    const f = conv1d(m, T, D, W(s, `${p}.mlp.c_fc.weight`), W(s, `${p}.mlp.c_fc.bias`), inner).map(geluNew);
    const o = conv1d(f, T, inner, W(s, `${p}.mlp.c_proj.weight`), W(s, `${p}.mlp.c_proj.bias`), D);
    h = h.map((v, k) => v + o[k]!);
  }
  const x = layerNorm(h, T, D, W(s, 'transformer.ln_f.weight'), W(s, 'transformer.ln_f.bias'), eps);
  const head = cfg.tie_word_embeddings ? wte : W(s, 'lm_head.weight'); // [V, D] either way (nn.Linear layout)
  const logits = new Float32Array(T * V);
  for (let t = 0; t < T; t++)
    for (let v = 0; v < V; v++) {
      let acc = 0;
      for (let d = 0; d < D; d++) acc += x[t * D + d]! * head[v * D + d]!;
      logits[t * V + v] = acc;
    }
  return logits;
}

function readExport(dir: string) {
  const { arrays, metadata } = decodeSafetensors(readFileSync(path.join(dir, 'model.safetensors')));
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  return { tensors: arrays, metadata, config };
}

async function exportAndCompare(t: import('ava').ExecutionContext, name: string, model: ConstructorParameters<typeof GptModel>[0], head: LmHead) {
  const { trainer, dir } = await checkpoint(name, [new ByteBpeTokenizerPlugin({ vocabSize: 300, specials: ['pad', 'eos'] }), new GptModel({ ...MODEL, ...model }), head, new NextTokenObjective()]);
  const out = path.join(root, `${name}-hf`);
  const r = io();
  t.is(await main(['export', dir, '--format', 'hf', '--out', out], r.io), 0, r.err.join('\n'));
  const { tensors, metadata, config } = readExport(out);
  t.is(metadata.format, 'pt');
  const ids = Array.from(trainer.role('tokenizer').tokenizer.encode("The whale's water; ahoy 42")).slice(0, MODEL.contextLength);
  const graft = tf.tidy(() => trainer.forward({ inputs: tf.tensor2d([ids], [1, ids.length], 'int32') }, false).logits!.dataSync() as Float32Array);
  const hf = gpt2Logits(tensors, config, ids);
  t.is(hf.length, graft.length);
  let worst = 0;
  for (let i = 0; i < hf.length; i++) worst = Math.max(worst, Math.abs(hf[i]! - graft[i]!));
  t.true(worst < 1e-4, `largest logit difference ${worst}`);
  trainer.dispose();
  return { tensors, config, out, dir };
}

test.serial('a tied GPT: GPT-2 names and shapes, GPT2Config, and the same logits through a GPT-2 forward', async (t) => {
  const { tensors, config, out } = await exportAndCompare(t, 'tied', {}, new LmHead());
  const D = MODEL.dModel;
  const V = tensors['transformer.wte.weight']!.shape[0]!;
  const want: Record<string, number[]> = {
    'transformer.wte.weight': [V, D],
    'transformer.wpe.weight': [MODEL.contextLength, D],
    'transformer.ln_f.weight': [D],
    'transformer.ln_f.bias': [D],
  };
  for (let i = 0; i < MODEL.nLayers; i++) {
    const h = `transformer.h.${i}`;
    Object.assign(want, {
      [`${h}.ln_1.weight`]: [D], [`${h}.ln_1.bias`]: [D], [`${h}.ln_2.weight`]: [D], [`${h}.ln_2.bias`]: [D],
      [`${h}.attn.c_attn.weight`]: [D, 3 * D], [`${h}.attn.c_attn.bias`]: [3 * D],
      [`${h}.attn.c_proj.weight`]: [D, D], [`${h}.attn.c_proj.bias`]: [D],
      [`${h}.mlp.c_fc.weight`]: [D, 4 * D], [`${h}.mlp.c_fc.bias`]: [4 * D],
      [`${h}.mlp.c_proj.weight`]: [4 * D, D], [`${h}.mlp.c_proj.bias`]: [D],
    });
  }
  t.deepEqual(Object.fromEntries(Object.entries(tensors).map(([k, a]) => [k, a.shape])), want);
  t.like(config, { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: D, n_layer: 2, n_head: 2, n_positions: 12, vocab_size: V, n_inner: 4 * D, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, tie_word_embeddings: true });
  t.is(typeof config.eos_token_id, 'number');
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) t.true(existsSync(path.join(out, f)), f);
});

test('an untied head without biases: lm_head.weight [V, D], zero biases, the same logits', async (t) => {
  const { tensors, config } = await exportAndCompare(t, 'untied', { bias: false }, new LmHead({ tied: false }));
  t.false(config.tie_word_embeddings);
  t.deepEqual(tensors['lm_head.weight']!.shape, [tensors['transformer.wte.weight']!.shape[0]!, MODEL.dModel]);
  t.true(Array.from(tensors['transformer.h.0.attn.c_attn.bias']!.data).every((v) => v === 0));
});

// ---- tokenizer.json, applied the way `tokenizers` applies a byte-level BPE ----

/** ByteLevel pre-tokenizer (GPT-2 regex, bytes spelled by the GPT-2 table), then BPE merges by rank, then vocab lookup. */
function hfEncode(json: { model: { vocab: Record<string, number>; merges: string[] }; pre_tokenizer: { type: string } }, text: string): number[] {
  if (json.pre_tokenizer.type !== 'ByteLevel') throw new Error('this reader handles the ByteLevel pre-tokenizer only');
  const rank = new Map(json.model.merges.map((m, i) => [m, i]));
  const out: number[] = [];
  for (const piece of text.match(new RegExp(GPT2_PATTERN, 'gu')) ?? []) {
    let word = Array.from(Buffer.from(piece, 'utf8'), (b) => BYTE_TO_CHAR[b]!);
    for (;;) {
      let best = -1;
      let at = -1;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = rank.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && (best < 0 || r < best)) [best, at] = [r, i];
      }
      if (best < 0) break;
      word = [...word.slice(0, at), word[at]! + word[at + 1]!, ...word.slice(at + 2)];
    }
    for (const w of word) out.push(json.model.vocab[w]!);
  }
  return out;
}

test.serial('tokenizer.json: byte-level BPE whose vocab and merges encode text to Graft\'s ids', async (t) => {
  const out = path.join(root, 'tied-hf');
  const json = JSON.parse(readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(root, 'tied', 'manifest.json'), 'utf8'));
  const tok = ByteBpeTokenizer.fromJSON(manifest.plugins['tokenizer:byte-bpe'].state);
  t.is(json.model.type, 'BPE');
  t.is(json.pre_tokenizer.type, 'ByteLevel');
  t.is(json.decoder.type, 'ByteLevel');
  t.is(Object.keys(json.model.vocab).length, tok.vocabSize);
  t.is(json.model.merges.length, tok.merges.length);
  t.deepEqual(json.added_tokens.map((a: { content: string; special: boolean }) => [a.content, a.special]), [['<|pad|>', true], ['<|endoftext|>', true]]);
  for (const text of [TEXT.slice(0, 300), "  double  spaces\n\nand 'll it's ÉTÉ 漢字 🐳 123456"]) t.deepEqual(hfEncode(json, text), Array.from(tok.encode(text)));
});

// ---- refusals ----

async function refused(t: import('ava').ExecutionContext, name: string, plugins: GraftPlugin[], pattern: RegExp) {
  const { trainer, dir } = await checkpoint(name, plugins);
  trainer.dispose();
  const out = path.join(root, `${name}-hf`);
  const r = io();
  t.is(await main(['export', dir, '--format', 'hf', '--out', out], r.io), 1);
  t.regex(r.err.join('\n'), pattern);
  t.true(r.err.join('\n').includes(ErrorCodes.CHECKPOINT));
  t.false(existsSync(out), 'nothing written');
}

test('LoRA not folded into the weights is refused, naming graft merge', async (t) => {
  await refused(t, 'lora', [new ByteBpeTokenizerPlugin({ vocabSize: 280, specials: ['pad', 'eos'] }), new GptModel(MODEL), new LmHead(), new NextTokenObjective(), new LoraAdapter({ rank: 2, alpha: 4 })], /LoRA.*graft merge/s);
});

test('a BERT-style checkpoint (causal: false, head:mlm) is refused: pre-LN does not map to BERT\'s post-LN', async (t) => {
  await refused(
    t,
    'bert',
    [new ByteBpeTokenizerPlugin({ vocabSize: 280, specials: ['pad', 'eos', 'mask'] }), new GptModel({ ...MODEL, causal: false }), new MlmHead(), new MaskedLmObjective()],
    /pre-LayerNorm.*post-LayerNorm/s,
  );
});

test('usage: --format other than hf, and --out missing, exit 2', async (t) => {
  const r = io();
  t.is(await main(['export', path.join(root, 'tied'), '--format', 'onnx', '--out', path.join(root, 'x')], r.io), 2);
  t.is(await main(['export', path.join(root, 'tied'), '--format', 'hf'], r.io), 2);
});

test.serial('gptToHf refuses, naming why: segments, a head bias, another head, a bidirectional LM, a parameter left over', (t) => {
  const data = readCheckpoint(path.join(root, 'tied'));
  const plugins = data.manifest.plugins;
  const model = plugins['model:gpt']!;
  const head = plugins['head:lm']!;
  const withModel = (o: Record<string, unknown>) => ({ ...plugins, 'model:gpt': { ...model, options: { ...model.options, ...o } } });
  const cases: [typeof plugins, Record<string, NamedArray>, RegExp][] = [
    [withModel({ segmentVocabSize: 2 }), data.params, /segment embeddings/],
    [withModel({ causal: false }), data.params, /bidirectional/],
    [{ ...plugins, 'head:lm': { ...head, options: { ...head.options, tied: false, bias: true } } }, data.params, /has a bias/],
    [Object.fromEntries([...Object.entries(plugins).filter(([n]) => n !== 'head:lm'), ['head:classifier', { kind: 'head', options: {} }]]), data.params, /head is head:classifier/],
    [plugins, { ...data.params, 'backbone.extra.kernel': data.params['backbone.lnF.gamma']! }, /"backbone\.extra\.kernel" has no GPT-2 counterpart/],
  ];
  for (const [p, params, why] of cases) {
    const e = t.throws(() => gptToHf(params, p), { instanceOf: GraftError });
    t.is(e!.code, ErrorCodes.CHECKPOINT);
    t.regex(e!.message, why);
  }
  t.notThrows(() => gptToHf(data.params, plugins));
});
