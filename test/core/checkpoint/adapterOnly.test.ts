/**
 * Adapter-only checkpoints (`checkpoint:periodic` `params: 'trainable'`, `trainer.save(dir, { params:
 * 'trainable' })`): a LoRA classifier on a tiny GPT language model saves what it trained (LoRA
 * factors, the head, its BatchNorm statistics, the optimizer's moments) plus the base's path and
 * SHA-256; it reloads onto the base to bit-identical logits, resumes exactly, and refuses any other
 * base with GRAFT_ERR_BASE_CHECKPOINT, leaving the model as it was.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cpSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTrainer, decodeSafetensors, ErrorCodes, GraftError, silentLogger, type Batch, type GraftPlugin, type Manifest, type Trainer } from '../../../core/index.ts';
import { LoraAdapter } from '../../../plugins/adapters/index.ts';
import { PeriodicCheckpoint } from '../../../plugins/checkpoints/index.ts';
import { ClassifierHead, LmHead } from '../../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../../plugins/init/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { CharTokenizerPlugin } from '../../../plugins/tokenizers/index.ts';
import { labelledDataset, tempFolder, tinyCorpus, writeLabelledCsv } from '../../plugins/conformance/recipes.ts';

const tmp = tempFolder('graft-adapter-only-');
test.after.always(tmp.remove);

const gpt = () => new GptModel({ nLayers: 2, dModel: 32, nHeads: 2, contextLength: 16, dropout: 0 });
const csv = writeLabelledCsv(tmp.dir, 40);
const base = path.join(tmp.dir, 'base');
const otherBase = path.join(tmp.dir, 'other-base');

/** The base: the GPT language model, two steps on the tiny corpus. */
async function saveBase(dir: string, seed: number): Promise<void> {
  const tr = createTrainer({
    plugins: [tinyCorpus(), new CharTokenizerPlugin(), gpt(), new LmHead(), new NextTokenObjective(), new AdamwOptimizer({ lr: 1e-2 })],
    options: { seed, maxSteps: 2 },
    logger: silentLogger(),
  });
  await tr.fit();
  await tr.save(dir);
  tr.dispose();
}

/** A LoRA classifier started from `from`: rank-2 LoRA on every qkv, the head trained too. */
function adapted(from: string, extra: GraftPlugin[] = [], maxSteps = 4, init = true): Trainer {
  return createTrainer({
    plugins: [
      labelledDataset(csv),
      new CharTokenizerPlugin({ from }),
      gpt(),
      new ClassifierHead({ hidden: [4] }),
      new ClassificationObjective(),
      new AdamwOptimizer({ lr: 1e-2 }),
      ...(init ? [new FromCheckpointInit({ path: from })] : []),
      new LoraAdapter({ rank: 2, alpha: 4, alsoTrain: ['head.**'] }),
      ...extra,
    ],
    options: { seed: 11, maxSteps, epochs: 50 },
    logger: silentLogger(),
  });
}

function firstBatch(tr: Trainer): Batch {
  return tr.role('dataset').batches('validation', { epoch: 0 }).next().value as Batch;
}

function logits(tr: Trainer): Float32Array {
  const batch = firstBatch(tr);
  const out = tf.tidy(() => tr.forward(batch, false).logits!);
  const data = out.dataSync().slice() as Float32Array;
  out.dispose();
  for (const t of Object.values(batch)) if (t instanceof tf.Tensor) t.dispose();
  return data;
}

function snapshot(tr: Trainer): Record<string, number[]> {
  return Object.fromEntries(tr.params.names().map((n) => [n, Array.from(tr.params.get(n).dataSync())]));
}

const bytesOf = (dir: string) => ['params.safetensors', 'state.safetensors', 'manifest.json'].reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

const full = path.join(tmp.dir, 'full');
const adapterDir = path.join(tmp.dir, 'adapter');
let trainedLogits: Float32Array;
let trainedParams: Record<string, number[]>;

test.before(async () => {
  await tf.setBackend('cpu');
  await saveBase(base, 1);
  await saveBase(otherBase, 2);
  const tr = adapted(base);
  await tr.fit();
  await tr.save(full);
  await tr.save(adapterDir, { params: 'trainable' });
  trainedLogits = logits(tr);
  trainedParams = snapshot(tr);
  tr.dispose();
});

test.serial('an adapter-only checkpoint holds what was trained and names its base; a small fraction of the full one', (t) => {
  const m = manifestOf(adapterDir);
  const baseManifest = manifestOf(base);
  t.is(m.base?.path, path.resolve(base));
  t.is(m.base?.sha256, baseManifest.files!['params.safetensors']!.sha256);
  t.is(m.base?.bytes, baseManifest.files!['params.safetensors']!.bytes);
  // Every parameter is described; those from the base are listed, the rest are in the file.
  t.deepEqual(Object.keys(m.params).sort(), Object.keys(manifestOf(full).params).sort());
  const fromBase = new Set(m.base!.params);
  t.true(fromBase.has('backbone.blocks.0.attn.qkv.kernel'), 'frozen base weights come from the base');
  t.true([...fromBase].every((n) => n.startsWith('backbone.')), 'only base parameters are left out');
  for (const n of Object.keys(m.params)) {
    if (n.startsWith('adapter.lora.') || n.startsWith('head.')) t.false(fromBase.has(n), `${n} is saved`);
  }
  // The head's BatchNorm statistics changed in training (buffers, not trainable): saved.
  t.true(Object.keys(m.params).some((n) => n.includes('running') && !fromBase.has(n)));
  const ratio = statSync(path.join(adapterDir, 'params.safetensors')).size / statSync(path.join(full, 'params.safetensors')).size;
  t.log(`params.safetensors ${ratio.toFixed(3)}, whole ${(bytesOf(adapterDir) / bytesOf(full)).toFixed(3)} of the full checkpoint`);
  t.true(ratio < 0.08, `params.safetensors: ${ratio.toFixed(3)} of the full one`);
  const total = bytesOf(adapterDir) / bytesOf(full);
  t.true(total < 0.3, `whole checkpoint: ${total.toFixed(3)} of the full one`);
});

test.serial('it reloads onto its base to bit-identical logits and parameters (load, resume, init:from-checkpoint)', async (t) => {
  const loaded = adapted(base, [], 4, false);
  await loaded.setup();
  await loaded.load(adapterDir);
  t.deepEqual(logits(loaded), trainedLogits);
  t.deepEqual(snapshot(loaded), trainedParams);
  loaded.dispose();
  const resumed = adapted(base);
  await resumed.resume(adapterDir);
  t.deepEqual(logits(resumed), trainedLogits);
  resumed.dispose();
  // A next stage warm-starting from the adapter-only checkpoint gets its parameters, those of the base included.
  const next = createTrainer({
    plugins: [labelledDataset(csv), new CharTokenizerPlugin({ from: base }), gpt(), new ClassifierHead({ hidden: [4] }), new ClassificationObjective(), new AdamwOptimizer(),
      new FromCheckpointInit({ path: adapterDir, select: ['backbone.**', 'head.**'] })],
    options: { seed: 12, maxSteps: 1 },
    logger: silentLogger(),
  });
  await next.setup();
  const got = snapshot(next);
  t.deepEqual(Object.keys(got).sort(), Object.keys(trainedParams).filter((n) => !n.startsWith('adapter.')).sort());
  for (const n of Object.keys(got)) t.deepEqual(got[n], trainedParams[n], n);
  next.dispose();
});

test.serial('a run folder moved whole finds its base by relative path; the next save records where it is now', async (t) => {
  t.is(manifestOf(adapterDir).base!.relativePath, path.join('..', 'base'));
  const moved = path.join(tmp.dir, 'moved');
  cpSync(base, path.join(moved, 'base'), { recursive: true });
  cpSync(adapterDir, path.join(moved, 'adapter'), { recursive: true });
  const away = path.join(tmp.dir, 'base-away');
  renameSync(base, away);
  try {
    const tr = adapted(path.join(moved, 'base'), [], 4, false);
    await tr.setup();
    await tr.load(path.join(moved, 'adapter'));
    t.deepEqual(logits(tr), trainedLogits);
    await tr.save(path.join(moved, 'again'), { params: 'trainable' });
    t.is(manifestOf(path.join(moved, 'again')).base!.path, path.join(moved, 'base'));
    tr.dispose();
    // Neither the recorded path nor the relative one holds the base: refused, naming the recorded path.
    renameSync(path.join(moved, 'base'), path.join(moved, 'gone'));
    const lost = adapted(away, [], 4, false);
    await lost.setup();
    const e = await t.throwsAsync(lost.load(path.join(moved, 'adapter')));
    t.is((e as GraftError).code, ErrorCodes.BASE_CHECKPOINT);
    t.true(e!.message.includes(base), e!.message);
    lost.dispose();
  } finally {
    renameSync(away, base);
  }
});

test.serial('the default saves every parameter, as before: no base recorded', (t) => {
  const m = manifestOf(full);
  t.is(m.base, undefined);
  t.deepEqual(Object.keys(decodeSafetensors(readFileSync(path.join(full, 'params.safetensors'))).arrays).sort(), Object.keys(m.params).sort());
});

test.serial('checkpoint:periodic params: "trainable": a resumed run equals the straight one exactly', async (t) => {
  const dir = path.join(tmp.dir, 'periodic');
  const straight = adapted(base, [new PeriodicCheckpoint({ dir: path.join(tmp.dir, 'straight'), every: 2, keep: 0, best: false, params: 'trainable' })]);
  await straight.fit();
  const first = adapted(base, [new PeriodicCheckpoint({ dir, every: 2, keep: 0, best: false, params: 'trainable' })], 2);
  await first.fit();
  first.dispose();
  const step2 = path.join(dir, 'step-2');
  t.truthy(manifestOf(step2).base, 'the step checkpoint is adapter-only');
  const second = adapted(base, [new PeriodicCheckpoint({ dir, every: 2, keep: 0, best: false, params: 'trainable' })]);
  await second.resume(step2);
  await second.fit();
  t.deepEqual(snapshot(second), snapshot(straight));
  t.deepEqual(second.state.metrics, straight.state.metrics);
  // Its own saves after the resume are adapter-only on the same base.
  t.is(manifestOf(path.join(dir, 'step-4')).base?.sha256, manifestOf(step2).base?.sha256);
  second.dispose();
  straight.dispose();
});

test.serial('params: "trainable" without a base checkpoint fails before training, naming the option', async (t) => {
  const tr = adapted(base, [new PeriodicCheckpoint({ dir: path.join(tmp.dir, 'nobase'), params: 'trainable' })], 2, false);
  const e = await t.throwsAsync(tr.fit(), { instanceOf: GraftError });
  t.is(e?.code, ErrorCodes.MISSING_DEPENDENCY);
  t.regex(e!.message, /option "params"/);
  t.false(existsSync(path.join(tmp.dir, 'nobase', 'step-2')));
  tr.dispose();
});

test.serial('another base is refused with GRAFT_ERR_BASE_CHECKPOINT naming both hashes; the model is left as it was', async (t) => {
  const tr = adapted(base, [], 4, false);
  await tr.setup();
  const before = snapshot(tr);
  const e = await t.throwsAsync(tr.load(adapterDir, { base: otherBase }), { instanceOf: GraftError });
  t.is(e?.code, ErrorCodes.BASE_CHECKPOINT);
  const want = manifestOf(base).files!['params.safetensors']!.sha256;
  const got = manifestOf(otherBase).files!['params.safetensors']!.sha256;
  t.true(e!.message.includes(want) && e!.message.includes(got), e!.message);
  t.regex(e!.message, /Put the base checkpoint it was trained on back/);
  t.deepEqual(snapshot(tr), before);
  tr.dispose();
});

test.serial('a base replaced or edited at its recorded path is refused too; saving on it writes nothing', async (t) => {
  // A copy of the base, an adapter trained on it, then the copy replaced by the other base.
  const moved = path.join(tmp.dir, 'base-copy');
  cpSync(base, moved, { recursive: true });
  const tr = adapted(moved, [], 2);
  await tr.fit();
  const dir = path.join(tmp.dir, 'adapter-on-copy');
  await tr.save(dir, { params: 'trainable' });
  cpSync(otherBase, moved, { recursive: true, force: true });
  const onto = adapted(moved, [], 2, false);
  await onto.setup();
  const e = await t.throwsAsync(onto.load(dir), { instanceOf: GraftError });
  t.is(e?.code, ErrorCodes.BASE_CHECKPOINT);
  onto.dispose();
  const again = path.join(tmp.dir, 'adapter-on-copy-2');
  const s = await t.throwsAsync(tr.save(again, { params: 'trainable' }), { instanceOf: GraftError });
  t.is(s?.code, ErrorCodes.BASE_CHECKPOINT);
  t.false(existsSync(again));
  // A flipped byte in the base's parameters (its own checksum fails): the same code, the cause kept.
  cpSync(base, moved, { recursive: true, force: true });
  const file = path.join(moved, 'params.safetensors');
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(file, bytes);
  const flipped = adapted(moved, [], 2, false);
  await flipped.setup();
  const f = await t.throwsAsync(flipped.load(dir), { instanceOf: GraftError });
  t.is(f?.code, ErrorCodes.BASE_CHECKPOINT);
  t.regex(f!.message, /cannot be read/);
  flipped.dispose();
  tr.dispose();
});
