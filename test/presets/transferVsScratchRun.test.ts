/**
 * The transfer-versus-scratch experiment end to end on slices of the real data with a tiny
 * AWD-LSTM: the language model once, both classifiers per size and seed, the table, JSON and plot.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraftError, selectBackend, silentLogger } from '../../core/index.ts';
import { configure, recipePreset, runPreset, transferVsScratchPreset, type RunRecord, type SizeRow } from '../../presets/index.ts';

const TINY = {
  'lm.sources': ['npm:moby-dick'],
  'lm.maxChars': 120_000,
  'lm.steps': 3,
  'lm.seqLen': 16,
  'lm.batchSize': 8,
  'target.steps': 3,
  'target.maxChars': 60_000,
  'vocab.maxSize': 300,
  'model.embSize': 8,
  'model.hiddenSize': 12,
  'model.nLayers': 2,
  'task.maxLen': 16,
  'task.batchSize': 8,
  'task.epochs': 1,
  'task.minSteps': 0,
  'task.maxSteps': 0,
  sizes: [16, 8],
  seeds: [1, 2],
  'task.modelChoice': 'best-validation',
  'task.validate': true,
};
const dir = mkdtempSync(path.join(tmpdir(), 'graft-tvs-'));

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test.serial('the experiment writes results.json, results.md and the SVG from every size × seed × variant', async (t) => {
  const preset = recipePreset(configure(transferVsScratchPreset, { set: TINY }));
  await runPreset(preset, {}, 3, { outDir: dir, logger: silentLogger() });
  for (const f of ['results.json', 'results.md', 'f1-vs-size.svg', 'lm/general-lm/result.json', 'lm/target-lm/result.json']) t.true(existsSync(path.join(dir, f)), f);
  for (const size of [8, 16]) {
    for (const seed of [1, 2]) {
      for (const v of ['scratch', 'transfer']) t.true(existsSync(path.join(dir, 'runs', `n${size}-s${seed}`, v, 'result.json')), `${size} ${seed} ${v}`);
    }
  }
  const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { runs: RunRecord[]; rows: SizeRow[]; languageModel: Record<string, number> };
  // Per size and seed: the two classifiers and the two baselines on the same subsample.
  t.is(results.runs.length, 2 * 2 * 4);
  for (const r of results.runs.filter((x) => x.variant === 'bag-of-words' || x.variant === 'majority')) {
    t.is(r.examples, results.runs.find((x) => x.variant === 'scratch' && x.size === r.size && x.seed === r.seed)!.examples);
  }
  t.true(results.runs.filter((x) => x.variant === 'majority').every((r) => r.collapsed === true));
  t.deepEqual(results.rows.map((r) => r.examples), [8, 16]);
  for (const r of results.runs) t.true(r.f1 >= 0 && r.f1 <= 1 && r.accuracy >= 0 && r.accuracy <= 1);
  t.true(results.languageModel.targetPerplexity! > 1);
  // The transfer runs loaded the encoder from the one language model; the scratch runs nothing.
  const cell = (v: string) => JSON.parse(readFileSync(path.join(dir, 'runs', 'n8-s2', v, 'result.json'), 'utf8'));
  t.true(cell('transfer').parameters_loaded.length > 0);
  t.is(cell('scratch').parameters_loaded, undefined);
  // Model choice on a validation subsample as large as the training one: both classifiers test
  // the parameters of their best validation macro-F1, chosen among per-epoch evaluations.
  for (const v of ['scratch', 'transfer']) {
    const r = cell(v);
    t.is(r.validation_examples, 8);
    t.is(r.early_stopping.monitor, 'validation_f1');
    t.true(r.early_stopping.restored);
    t.true(r.early_stopping.bestStep >= 1 && r.early_stopping.bestStep <= r.steps, `${v}: best step ${r.early_stopping.bestStep} of ${r.steps}`);
    t.true(r.early_stopping.best >= r.metrics.validation_f1 - 1e-12);
  }
  t.is(JSON.parse(readFileSync(path.join(dir, 'runs', 'n16-s1', 'scratch', 'result.json'), 'utf8')).validation_examples, 16);
  const md = readFileSync(path.join(dir, 'results.md'), 'utf8');
  // F1 and accuracy tables: a line per size; every run: a line per size and seed.
  t.is(md.split('\n').filter((l) => /^\| \d/.test(l)).length, 2 + 2 + 4);
  t.regex(md, /## Every run/);
  const svg = readFileSync(path.join(dir, 'f1-vs-size.svg'), 'utf8');
  t.is((svg.match(/<circle class="mean"/g) ?? []).length, 2 * 3); // scratch, transfer, bag-of-words at each size
  t.is((svg.match(/<circle class="run"/g) ?? []).length, 2 * 2 * 3);

  // A second run re-uses every finished run: nothing trains, the same table comes out.
  const mtime = statSync(path.join(dir, 'runs', 'n16-s1', 'transfer', 'result.json')).mtimeMs;
  await runPreset(preset, {}, 3, { outDir: dir, logger: silentLogger() });
  t.is(statSync(path.join(dir, 'runs', 'n16-s1', 'transfer', 'result.json')).mtimeMs, mtime);
  t.is(readFileSync(path.join(dir, 'results.md'), 'utf8'), md);

  // The experiment grows in the same folder: a third seed at size 8 trains only its cell; the
  // language model and the finished cells are reused, untouched.
  const lmTime = statSync(path.join(dir, 'lm', 'target-lm', 'result.json')).mtimeMs;
  const cellTime = statSync(path.join(dir, 'runs', 'n8-s1', 'transfer', 'result.json')).mtimeMs;
  await runPreset(recipePreset(configure(transferVsScratchPreset, { set: { ...TINY, sizes: [8], seeds: [1, 2, 3] } })), {}, 3, { outDir: dir, logger: silentLogger() });
  t.is(statSync(path.join(dir, 'lm', 'target-lm', 'result.json')).mtimeMs, lmTime);
  t.is(statSync(path.join(dir, 'runs', 'n8-s1', 'transfer', 'result.json')).mtimeMs, cellTime);
  t.true(existsSync(path.join(dir, 'runs', 'n8-s3', 'scratch', 'result.json')));
  const grown = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { runs: RunRecord[] };
  t.deepEqual(grown.runs.map((r) => `${r.variant}:${r.size}:${r.seed}`).sort(), ['scratch', 'transfer', 'bag-of-words', 'majority'].flatMap((v) => [1, 2, 3].map((s) => `${v}:8:${s}`)).sort());
  // Anything else changed is still another configuration: refused.
  const other = recipePreset(configure(transferVsScratchPreset, { set: { ...TINY, 'task.lr': 0.02 } }));
  await t.throwsAsync(runPreset(other, {}, 3, { outDir: dir, logger: silentLogger() }), { message: /holds a run of a different configuration/ });
});

test('a bad grid fails before anything runs, naming the key', async (t) => {
  const preset = recipePreset(configure(transferVsScratchPreset, { set: { sizes: '50,50' } }));
  const out = mkdtempSync(path.join(tmpdir(), 'graft-tvs-bad-'));
  try {
    const e = await t.throwsAsync(runPreset(preset, {}, 1, { outDir: out, logger: silentLogger() }));
    t.true(e instanceof GraftError);
    t.regex(e!.message, /sizes/);
    t.false(existsSync(path.join(out, 'lm')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
