/**
 * `graft merge` on a tiny two-stage run: a character GPT language model, then a LoRA classifier
 * started from it whose `checkpoint:periodic` saves adapter-only checkpoints (`params: 'trainable'`).
 * The merged checkpoint computes the adapted model's logits (within 1e-5), holds no LoRA factor and
 * no base reference, and `graft eval` gives the same metrics on both; another base is refused
 * (exit 1, GRAFT_ERR_BASE_CHECKPOINT) and nothing is written.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { createTrainer, readCheckpoint, selectBackend, silentLogger, type Batch, type Manifest, type Trainer } from '../../core/index.ts';
import { LoraAdapter } from '../../plugins/adapters/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { ClassifierHead, LmHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { CharTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { checkpointOf, createStageTrainer, recipe, recipePreset, runPreset, stage, toStageSpec, use, type StageContext } from '../../presets/index.ts';
import { tempFolder, wordText, writeLabelledCsv } from '../plugins/conformance/recipes.ts';

const tmp = tempFolder('graft-merge-');
test.after.always(tmp.remove);
const run = path.join(tmp.dir, 'run');
const otherRun = path.join(tmp.dir, 'other');
const corpus = path.join(tmp.dir, 'corpus.txt');
const csv = writeLabelledCsv(tmp.dir, 40);
const adapterDir = path.join(run, 'lora', 'checkpoints', 'step-4');
const merged = path.join(tmp.dir, 'merged');
/** LoRA folded into a weight is `w + s·A@B` once instead of in every forward: the same arithmetic, so equal to rounding. */
const TOLERANCE = 1e-5;

const MODEL = { nLayers: 2, dModel: 32, nHeads: 2, contextLength: 16, dropout: 0 };
const lmStage = stage('lm', 'GPT LM', [
  use(TextCorpusDataset, { sources: [corpus], seqLen: 8, batchSize: 2, validationFraction: 0.2, chunkChars: 64 }),
  use(CharTokenizerPlugin),
  use(GptModel, MODEL),
  use(LmHead),
  use(NextTokenObjective),
  use(AdamwOptimizer, { lr: 1e-2 }),
], { maxSteps: 2 });
const loraStage = stage('lora', 'LoRA classifier on the LM', [
  use(LabelledTextDataset, { source: csv, batchSize: 4, maxLen: 8, validationFraction: 0.2, testFraction: 0.2 }),
  use(CharTokenizerPlugin, { from: checkpointOf('lm') }),
  use(GptModel, MODEL),
  use(ClassifierHead, { hidden: [4] }),
  use(ClassificationObjective),
  use(AdamwOptimizer, { lr: 1e-2 }),
  use(FromCheckpointInit, { path: checkpointOf('lm') }),
  use(LoraAdapter, { rank: 2, alpha: 4, alsoTrain: ['head.**'] }),
  use(PeriodicCheckpoint, { every: 2, keep: 0, best: false, params: 'trainable' }),
], { maxSteps: 4, epochs: 50 });

test.before(async () => {
  writeFileSync(corpus, wordText(80) + '\n');
  await selectBackend({ prefer: 'cpu' });
  await runPreset(recipePreset(recipe({ name: 'tiny-lora', description: 'test', stages: [lmStage, loraStage], aliases: {} })), {}, 3, { outDir: run, logger: silentLogger() });
  // Another base: the same language model with another seed.
  await runPreset(recipePreset(recipe({ name: 'tiny-lm', description: 'test', stages: [lmStage], aliases: {} })), {}, 4, { outDir: otherRun, logger: silentLogger() });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

function logits(tr: Trainer): Float32Array {
  const batch = tr.role('dataset').batches('test', { epoch: 0 }).next().value as Batch;
  const out = tf.tidy(() => tr.forward(batch, false).logits!);
  const data = out.dataSync().slice() as Float32Array;
  out.dispose();
  for (const t of Object.values(batch)) if (t instanceof tf.Tensor) t.dispose();
  return data;
}

const maxDiff = (a: Float32Array, b: Float32Array) => (a.length === b.length ? a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0) : Infinity);

test.serial('graft merge: the adapted model as a plain full checkpoint, same logits, no LoRA factor, no base', async (t) => {
  t.truthy(manifestOf(adapterDir).base, 'the step checkpoint is adapter-only');
  const c = capture();
  t.is(await main(['merge', adapterDir, '--out', merged], c.io), 0, c.err.join('\n'));
  t.is(c.out.join('\n'), path.resolve(merged));
  t.regex(c.err.join('\n'), /folded LoRA into 2 weights/);
  const m = manifestOf(merged);
  t.is(m.base, undefined);
  t.false(Object.keys(m.params).some((n) => n.startsWith('adapter.lora.')));
  t.false('adapter:lora' in m.plugins);
  t.false(Object.values(m.plugins).some((p) => p.kind === 'optimizer'), 'the optimizer state belonged to the LoRA factors');
  const data = readCheckpoint(merged);
  t.deepEqual(Object.keys(data.params).sort(), Object.keys(m.params).sort(), 'every parameter is in the file');
  t.false(m.params['backbone.blocks.0.attn.qkv.kernel']!.trainable, 'the trainable flags are the checkpoint\'s');

  // The adapted model, as the run built it, resumed from the adapter-only checkpoint ...
  const ctx: StageContext = { runDir: run, stageDir: path.join(tmp.dir, 'probe'), checkpoints: { lm: path.join(run, 'lm', 'checkpoint') }, results: {}, seed: 3 };
  const adapted = createStageTrainer(toStageSpec(loraStage), ctx, { logger: silentLogger() });
  await adapted.resume(adapterDir);
  // ... and the merged weights in the same model without LoRA.
  const plain = createTrainer({
    plugins: [new LabelledTextDataset({ source: csv, batchSize: 4, maxLen: 8, validationFraction: 0.2, testFraction: 0.2 }), new CharTokenizerPlugin({ from: merged }),
      new GptModel(MODEL), new ClassifierHead({ hidden: [4] }), new ClassificationObjective()],
    options: { seed: 3 },
    logger: silentLogger(),
  });
  await plain.setup();
  await plain.load(merged, { select: '**' });
  const diff = maxDiff(logits(plain), logits(adapted));
  t.true(diff <= TOLERANCE, `max |logit difference| ${diff}`);
  const qkv = 'backbone.blocks.0.attn.qkv.kernel';
  t.notDeepEqual(data.params[qkv], readCheckpoint(path.join(run, 'lm', 'checkpoint')).params[qkv], 'LoRA was folded into the base weight');
  plain.dispose();
  adapted.dispose();
});

test.serial('graft eval: the same metrics on the adapter-only checkpoint and on the merged one', async (t) => {
  const a = capture();
  t.is(await main(['eval', adapterDir, '--json'], a.io), 0, a.err.join('\n'));
  const b = capture();
  t.is(await main(['eval', merged, '--json'], b.io), 0, b.err.join('\n'));
  const ma = JSON.parse(a.out.join('\n')) as Record<string, number>;
  const mb = JSON.parse(b.out.join('\n')) as Record<string, number>;
  t.deepEqual(Object.keys(mb).sort(), Object.keys(ma).sort());
  for (const k of Object.keys(ma)) t.true(Math.abs(ma[k]! - mb[k]!) <= TOLERANCE, `${k}: ${ma[k]} vs ${mb[k]}`);
});

test.serial('another base is refused: exit 1, GRAFT_ERR_BASE_CHECKPOINT naming both hashes, nothing written', async (t) => {
  const out = path.join(tmp.dir, 'refused');
  const c = capture();
  t.is(await main(['merge', adapterDir, '--out', out, '--base', path.join(otherRun, 'lm', 'checkpoint')], c.io), 1);
  const msg = c.err.join('\n');
  t.regex(msg, /\[GRAFT_ERR_BASE_CHECKPOINT\]/);
  t.true(msg.includes(manifestOf(path.join(run, 'lm', 'checkpoint')).files!['params.safetensors']!.sha256), msg);
  t.true(msg.includes(manifestOf(path.join(otherRun, 'lm', 'checkpoint')).files!['params.safetensors']!.sha256), msg);
  t.false(readdirSync(tmp.dir).some((f) => f.startsWith('refused')), 'no folder, no temporary folder');
});

test.serial('a moved base: eval and predict refuse the recorded path (exit 1) and take --base, with the same metrics', async (t) => {
  const a = capture();
  t.is(await main(['eval', adapterDir, '--json'], a.io), 0, a.err.join('\n'));
  const lm = path.join(run, 'lm', 'checkpoint');
  const moved = path.join(tmp.dir, 'moved-base');
  renameSync(lm, moved);
  try {
    const gone = capture();
    t.is(await main(['eval', adapterDir, '--json'], gone.io), 1);
    t.regex(gone.err.join('\n'), /\[GRAFT_ERR_BASE_CHECKPOINT\]/);
    const b = capture();
    t.is(await main(['eval', adapterDir, '--json', '--base', moved], b.io), 0, b.err.join('\n'));
    t.deepEqual(JSON.parse(b.out.join('\n')), JSON.parse(a.out.join('\n')));
    const p = capture();
    t.is(await main(['predict', adapterDir, '--text', 'one two three', '--base', moved], p.io), 0, p.err.join('\n'));
    t.truthy(JSON.parse(p.out.join('\n')).label);
    const u = capture();
    t.is(await main(['eval', adapterDir, '--base'], u.io), 2);
  } finally {
    renameSync(moved, lm);
  }
});

test.serial('a checkpoint without LoRA is written as the full checkpoint, every parameter bit for bit', async (t) => {
  const from = path.join(run, 'lm', 'checkpoint');
  const out = path.join(tmp.dir, 'lm-copy');
  const c = capture();
  t.is(await main(['merge', from, '--out', out], c.io), 0, c.err.join('\n'));
  t.regex(c.err.join('\n'), /no LoRA adapter to fold/);
  const a = readCheckpoint(from);
  const b = readCheckpoint(out);
  t.deepEqual(Object.keys(b.params).sort(), Object.keys(a.params).sort());
  for (const n of Object.keys(a.params)) t.deepEqual(b.params[n], a.params[n], n);
  t.deepEqual(Object.keys(b.manifest.plugins).sort(), Object.keys(a.manifest.plugins).sort(), 'plugin state kept');
  t.deepEqual(Object.keys(b.state).sort(), Object.keys(a.state).sort());
});

test.serial('usage errors exit 2: no --out, --out is the input or a folder holding something else', async (t) => {
  for (const args of [['merge', adapterDir], ['merge', adapterDir, '--out', adapterDir], ['merge', adapterDir, '--out', tmp.dir], ['merge']]) {
    const c = capture();
    t.is(await main(args, c.io), 2, `${args.join(' ')}: ${c.err.join('\n')}`);
    t.regex(c.err.join('\n'), /\[GRAFT_ERR_USAGE\]/);
  }
});
