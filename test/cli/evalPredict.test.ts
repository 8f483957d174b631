/**
 * `graft eval` and `graft predict` on a tiny ULMFiT-shaped run trained here (a word-level AWD-LSTM
 * language model, then a classifier on a small CSV that starts from it): eval's metrics are those
 * `trainer.evaluate` gives in code on the same checkpoint, predict's labels the argmax of logits
 * computed in code, and bad inputs exit 2 naming what is wrong.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { formatNumber, readCheckpointManifest, selectBackend, silentLogger, type Metrics, type Trainer } from '../../core/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { ClassifierHead, LmHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { AccuracyMetric, F1Metric } from '../../plugins/metrics/index.ts';
import { AwdLstmModel } from '../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { WordTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { checkpointOf, createStageTrainer, recipe, recipePreset, runPreset, stage, toStageSpec, use, withStageOptions, type RecipeStage, type StageContext } from '../../presets/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-evalpredict-'));
const run = path.join(dir, 'run');
const data = path.join(dir, 'mails.csv');
const other = path.join(dir, 'other.csv');
const corpus = path.join(dir, 'corpus.txt');

// Two classes told apart by their words; a seeded generator (no Math.random) makes the rows.
const HAM = ['meeting', 'lunch', 'project', 'report', 'tomorrow', 'team', 'notes', 'review', 'family', 'weekend'];
const SPAM = ['winner', 'prize', 'free', 'cash', 'offer', 'click', 'claim', 'money', 'urgent', 'deal'];
function rows(n: number, seed: number): string[] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const spam = i % 2 === 1;
    const words = spam ? SPAM : HAM;
    const len = 3 + Math.floor(next() * 6);
    out.push(`${Array.from({ length: len }, () => words[Math.floor(next() * words.length)]).join(' ')} ${i},${spam ? 'spam' : 'ham'}`);
  }
  return out;
}

const MODEL = { embSize: 8, hiddenSize: 16, nLayers: 2 };
const lmStage = stage('lm', 'word LM', [
  use(TextCorpusDataset, { sources: [corpus], seqLen: 8, batchSize: 4, validationFraction: 0.1, chunkChars: 64 }),
  use(WordTokenizerPlugin, { minFreq: 1 }),
  use(AwdLstmModel, MODEL),
  use(LmHead, { tied: true }),
  use(NextTokenObjective),
  use(AdamwOptimizer, { lr: 1e-2 }),
], { maxSteps: 3 });
const classifierStage = stage('classifier', 'classifier from the LM encoder', [
  use(LabelledTextDataset, { source: data, maxLen: 12, batchSize: 8 }),
  use(WordTokenizerPlugin, { from: checkpointOf('lm') }),
  use(AwdLstmModel, MODEL),
  use(ClassifierHead, { hidden: [8] }),
  use(ClassificationObjective),
  use(AdamwOptimizer, { lr: 1e-2 }),
  use(FromCheckpointInit, { path: checkpointOf('lm'), select: 'backbone.**', remapVocab: false }),
  use(AccuracyMetric),
  use(F1Metric),
], { epochs: 3 });
const tiny = recipe({ name: 'tiny-ulmfit', description: 'test', stages: [lmStage, classifierStage], aliases: {} });
const checkpoint = path.join(run, 'classifier', 'checkpoint');

test.before(async () => {
  writeFileSync(data, ['text,label', ...rows(80, 7)].join('\n') + '\n');
  writeFileSync(other, ['text,label', ...rows(40, 99)].join('\n') + '\n');
  writeFileSync(corpus, rows(80, 3).map((r) => r.split(',')[0]).join('. ') + '\n');
  await selectBackend({ prefer: 'wasm' });
  await runPreset(recipePreset(tiny), {}, 3, { outDir: run, logger: silentLogger() });
});

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

/** The classifier stage's trainer in code, every plugin as the run built it, resumed from the checkpoint. */
async function resumed(s: RecipeStage = classifierStage): Promise<Trainer> {
  const ctx: StageContext = { runDir: run, stageDir: path.join(dir, 'probe'), checkpoints: { lm: path.join(run, 'lm', 'checkpoint') }, results: {}, seed: 3 };
  const trainer = createStageTrainer(toStageSpec(s), ctx, { logger: silentLogger() });
  await trainer.resume(checkpoint);
  return trainer;
}

async function evaluateInCode(split: 'test' | 'validation', s?: RecipeStage): Promise<Metrics> {
  const trainer = await resumed(s);
  try {
    return await trainer.evaluate(split);
  } finally {
    trainer.dispose();
  }
}

test.serial('graft eval of the run: exactly the metrics trainer.evaluate gives on its checkpoint; a table rounded to 4 digits', async (t) => {
  const expected = await evaluateInCode('test');
  t.deepEqual(Object.keys(expected).sort(), ['test_accuracy', 'test_f1', 'test_loss', 'test_precision', 'test_recall']);
  const j = capture();
  t.is(await main(['eval', run, '--json'], j.io), 0, j.err.join('\n'));
  t.deepEqual(JSON.parse(j.out.join('\n')), expected);
  // The checkpoint folder itself, and the stage named: the same numbers.
  for (const args of [[checkpoint, '--json'], [run, '--stage', 'classifier', '--json']]) {
    const c = capture();
    t.is(await main(['eval', ...args], c.io), 0, c.err.join('\n'));
    t.deepEqual(JSON.parse(c.out.join('\n')), expected);
  }
  const table = capture();
  t.is(await main(['eval', run], table.io), 0);
  const lines = table.out.join('\n').split('\n');
  t.regex(lines[0]!, /^metric\s+value$/);
  for (const [k, v] of Object.entries(expected)) t.true(lines.some((l) => l.split(/\s+/).join(' ') === `${k} ${formatNumber(v)}`), `${k} ${formatNumber(v)} in\n${lines.join('\n')}`);
  t.is(lines.length, 1 + Object.keys(expected).length);
  // 80 rows, 10% test: 8 examples, so accuracy is a multiple of 1/8.
  t.is(Math.round(expected.test_accuracy! * 8), expected.test_accuracy! * 8);
});

test.serial('graft eval --split validation, and --data other.csv evaluates that file with the checkpoint\'s classes', async (t) => {
  const v = capture();
  t.is(await main(['eval', run, '--split', 'validation', '--json'], v.io), 0, v.err.join('\n'));
  t.deepEqual(JSON.parse(v.out.join('\n')), await evaluateInCode('validation'));
  const expected = await evaluateInCode('test', withStageOptions(classifierStage, { 'dataset.source': other, 'dataset.labels': ['ham', 'spam'] }));
  const d = capture();
  t.is(await main(['eval', run, '--data', other, '--json'], d.io), 0, d.err.join('\n'));
  const got = JSON.parse(d.out.join('\n'));
  t.deepEqual(got, expected);
  // Another file's test split (40 rows: 4 examples), not the run's.
  t.is(Math.round(got.test_accuracy * 4), got.test_accuracy * 4);
  t.notDeepEqual(got, await evaluateInCode('test'));
});

test.serial('graft predict: one JSON line per text, label = argmax of the logits in code, probabilities sum to 1; no tensor left', async (t) => {
  const { manifest } = readCheckpointManifest(checkpoint);
  t.deepEqual((manifest.plugins['dataset:labelled-text']!.state as { classes: string[] }).classes, ['ham', 'spam']);
  const texts = ['free cash prize click now', 'team meeting notes for tomorrow', `${'lunch '.repeat(20)}review`, 'winner'];
  const before = tf.memory().numTensors;
  const c = capture();
  t.is(await main(['predict', run, ...texts.flatMap((x) => ['--text', x])], c.io), 0, c.err.join('\n'));
  t.is(tf.memory().numTensors, before, 'predict frees every tensor it made');
  const lines = c.out.map((l) => JSON.parse(l) as { text: string; label: string; probabilities: Record<string, number> });
  t.is(lines.length, texts.length);
  // Logits in code: each text alone (no padding), encoded by the tokenizer and cut to maxLen.
  const trainer = await resumed();
  try {
    const tok = trainer.role('tokenizer').tokenizer;
    texts.forEach((text, i) => {
      const ids = tok.encode(text).slice(0, 12);
      const logits = tf.tidy(() => {
        const batch = { inputs: tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32'), mask: tf.ones([1, ids.length]), lengths: tf.tensor1d([ids.length], 'int32') };
        return Array.from(trainer.forward(batch, false).logits!.dataSync());
      });
      const line = lines[i]!;
      t.is(line.text, text.slice(0, 80));
      t.is(line.label, ['ham', 'spam'][logits.indexOf(Math.max(...logits))]);
      const p = line.probabilities;
      t.deepEqual(Object.keys(p), ['ham', 'spam']);
      t.true(Math.abs(p.ham! + p.spam! - 1) < 1e-6, `${p.ham} + ${p.spam}`);
      // softmax of the code's logits
      const e = logits.map((l) => Math.exp(l - Math.max(...logits)));
      t.true(Math.abs(p.spam! - e[1]! / (e[0]! + e[1]!)) < 1e-5, `${p.spam} vs ${e[1]! / (e[0]! + e[1]!)}`);
    });
  } finally {
    trainer.dispose();
  }
  t.is(lines[2]!.text.length, 80);
  // Batches of 1 or 3 and a file give the same lines.
  const jsonl = path.join(dir, 'in.jsonl');
  writeFileSync(jsonl, texts.map((x, i) => JSON.stringify(i % 2 ? { text: x, id: i } : x)).join('\n') + '\n\n');
  const txt = path.join(dir, 'in.txt');
  writeFileSync(txt, texts.join('\n') + '\n');
  for (const args of [['--batch-size', '1'], ['--batch-size', '3'], ['--file', jsonl], ['--file', txt]]) {
    const o = capture();
    t.is(await main(['predict', checkpoint, ...(args[0] === '--file' ? args : [...texts.flatMap((x) => ['--text', x]), ...args])], o.io), 0, o.err.join('\n'));
    t.deepEqual(o.out.map((l) => JSON.parse(l).label), lines.map((l) => l.label), args.join(' '));
    o.out.forEach((l, i) => t.true(Math.abs(JSON.parse(l).probabilities.spam - lines[i]!.probabilities.spam) < 1e-5));
  }
});

test.serial('graft eval leaves no tensor behind', async (t) => {
  const before = tf.memory().numTensors;
  const c = capture();
  t.is(await main(['eval', run, '--json'], c.io), 0);
  t.is(tf.memory().numTensors, before);
});

test('bad inputs exit 2 with a message naming the folder, stage, flag or file', async (t) => {
  const empty = path.join(dir, 'empty');
  mkdirSync(empty, { recursive: true });
  const badJsonl = path.join(dir, 'bad.jsonl');
  writeFileSync(badJsonl, '"fine"\n{"label": "ham"}\n');
  const missing = path.join(dir, 'nope');
  for (const [args, re] of [
    [['eval', missing], new RegExp(`${missing}: no such folder`)],
    [['eval'], /needs a run folder or a checkpoint folder/],
    [['eval', empty], new RegExp(`${empty}: no checkpoint here`)],
    [['predict', empty, '--text', 'hi'], new RegExp(`${empty}: no checkpoint here`)],
    [['eval', run, '--stage', 'pretrain'], /--stage pretrain: the run has no such stage.*expected one of lm, classifier/],
    [['eval', run, '--split', 'dev'], /--split must name a split.*expected test, validation, train/],
    [['eval', run, '--data', path.join(dir, 'gone.csv')], /gone\.csv/],
    [['predict', path.join(run, 'lm', 'checkpoint'), '--text', 'hi'], /stage "lm" made a language model.*graft generate/],
    [['predict', run, '--stage', 'lm', '--text', 'hi'], /language model.*graft generate/],
    [['predict', run, '--file', path.join(dir, 'gone.jsonl')], /gone\.jsonl: --file cannot be read \(ENOENT\)/],
    [['predict', run, '--file', dir + '.txt'], /--file cannot be read/],
    [['predict', run, '--file', badJsonl], /bad\.jsonl:2: --file: no text on this line/],
    [['predict', run, '--file', data], /mails\.csv: --file: unknown format; expected a \.jsonl or \.txt file/],
    [['predict', run], /needs --text TEXT/],
    [['predict', run, '--text', 'a', '--file', badJsonl], /--text and --file both given/],
    [['predict', run, '--text', ''], /--text number 1 is empty/],
  ] as const) {
    const c = capture();
    t.is(await main([...args], c.io), 2, `${args.join(' ')}: ${c.err.join('\n')}`);
    t.regex(c.err.join('\n'), re, args.join(' '));
  }
});

test.serial('a checkpoint saved in code (no recipe recorded), and a run with no complete stage, exit 2', async (t) => {
  const trainer = await resumed();
  const bare = path.join(dir, 'bare');
  try {
    await trainer.save(bare);
  } finally {
    trainer.dispose();
  }
  const c = capture();
  t.is(await main(['predict', bare, '--text', 'hi'], c.io), 2);
  t.regex(c.err.join('\n'), new RegExp(`${bare}: the checkpoint does not record the recipe and stage that made it`));
  const unfinished = path.join(dir, 'unfinished');
  mkdirSync(unfinished, { recursive: true });
  writeFileSync(path.join(unfinished, 'config.json'), readFileSync(path.join(run, 'config.json')));
  const u = capture();
  t.is(await main(['eval', unfinished], u.io), 2);
  t.regex(u.err.join('\n'), new RegExp(`${unfinished}: no stage of the run is complete`));
});

test('the run recorded what eval and predict read: the recipe and stage in the manifest', (t) => {
  const m = JSON.parse(readFileSync(path.join(checkpoint, 'manifest.json'), 'utf8'));
  t.is(m.config.stage, 'classifier');
  t.deepEqual(m.config.recipe.stages.map((s: { name: string }) => s.name), ['lm', 'classifier']);
});
