/**
 * The finetune-methods experiment end to end on a slice of the real data with tiny transformers:
 * both pre-trainings once, every method and scratch per backbone, baselines, adapter-only
 * checkpoints on their base, the table, JSON and plot, and growth without re-training.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraftError, selectBackend, silentLogger } from '../../core/index.ts';
import { configure, methodRows, methodsTable, recipePreset, runPreset, finetuneMethodsPreset, type MethodRun } from '../../presets/index.ts';

const TINY = {
  'pretrain.steps': 3,
  'pretrain.maxChars': 60_000,
  'pretrain.batchSize': 4,
  'tokenizer.vocabSize': 300,
  'model.contextLength': 16,
  'model.dModel': 16,
  'model.nLayers': 1,
  'model.nHeads': 2,
  'task.steps': 3,
  'task.batchSize': 4,
  methods: ['full', 'lora', 'linear-probe'],
  sizes: [12],
  seeds: [1],
};
const dir = mkdtempSync(path.join(tmpdir(), 'graft-fm-'));

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (cell: string) => JSON.parse(readFileSync(path.join(dir, 'runs', cell, 'checkpoint', 'manifest.json'), 'utf8'));

test.serial('every backbone × method and scratch, baselines, adapter-only checkpoints, table and plot', async (t) => {
  const preset = recipePreset(configure(finetuneMethodsPreset, { set: TINY }));
  await runPreset(preset, {}, 5, { outDir: dir, logger: silentLogger() });
  for (const f of ['results.json', 'results.md', 'f1-by-method.svg', 'pretrain/gpt/result.json', 'pretrain/bert/result.json']) t.true(existsSync(path.join(dir, f)), f);
  const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { runs: MethodRun[] };
  t.deepEqual(
    results.runs.map((r) => `${r.backbone}:${r.method}`),
    ['gpt:full', 'gpt:lora', 'gpt:linear-probe', 'gpt:scratch', 'bert:full', 'bert:lora', 'bert:linear-probe', 'bert:scratch', 'baseline:bag-of-words', 'baseline:majority'],
  );
  const run = (b: string, m: string) => results.runs.find((r) => r.backbone === b && r.method === m)!;
  for (const r of results.runs) {
    t.true(r.f1 >= 0 && r.f1 <= 1 && r.accuracy >= 0 && r.accuracy <= 1, `${r.backbone} ${r.method}`);
    t.is(r.examples, 12);
  }
  // What trains, by formula: the linear probe trains the head only, D·C + C = 16·2 + 2; LoRA rank 8 on
  // one block's qkv [16, 48], proj [16, 16], fc [16, 64], proj [64, 16]: 8·(64 + 32 + 80 + 80) = 2048, plus the head.
  t.is(run('gpt', 'linear-probe').trainableParameters, 34);
  t.is(run('gpt', 'lora').trainableParameters, 2048 + 34);
  t.is(run('gpt', 'full').trainableParameters, run('gpt', 'full').totalParameters);
  t.is(run('bert', 'scratch').trainableParameters, run('bert', 'full').totalParameters);
  // Adapter-only checkpoints: on their backbone's pre-trained checkpoint, a fraction of a full one.
  for (const b of ['gpt', 'bert']) {
    const base = JSON.parse(readFileSync(path.join(dir, 'pretrain', b, 'checkpoint', 'manifest.json'), 'utf8'));
    for (const m of ['lora', 'linear-probe']) {
      const man = manifest(`${b}-${m}/n12-s1/${m}`);
      t.is(man.base.path, path.join(dir, 'pretrain', b, 'checkpoint'));
      t.is(man.base.sha256, base.files['params.safetensors'].sha256);
      t.true(run(b, m).checkpointBytes! < 0.6 * run(b, 'full').checkpointBytes!, `${b} ${m}: ${run(b, m).checkpointBytes} vs ${run(b, 'full').checkpointBytes}`);
    }
    t.is(manifest(`${b}-full/n12-s1/full`).base, undefined);
  }
  // The transfer cells loaded the backbone; scratch loaded nothing. BERT cells are bidirectional.
  const cell = (c: string, stage: string) => JSON.parse(readFileSync(path.join(dir, 'runs', c, stage, 'result.json'), 'utf8'));
  t.true(cell('bert-full/n12-s1', 'full').parameters_loaded.length > 0);
  t.is(cell('gpt-scratch/n12-s1', 'scratch').parameters_loaded, undefined);
  t.is(manifest('bert-full/n12-s1/full').plugins['model:gpt'].options.causal, false);
  t.is(manifest('gpt-full/n12-s1/full').plugins['model:gpt'].options.causal, true);
  t.is(manifest('bert-full/n12-s1/full').plugins['head:sequence-classifier'].options.pooling, 'mean');
  // No step checkpoints besides the stage's own.
  t.false(existsSync(path.join(dir, 'runs', 'gpt-lora', 'n12-s1', 'lora', 'checkpoints')));
  const md = readFileSync(path.join(dir, 'results.md'), 'utf8');
  // A line per row in the F1 and accuracy tables, a line per run (one seed, one size) in the third.
  t.is(md.split('\n').filter((l) => /^\| (gpt|bert|baseline) \| [a-z-]+ \| \d/.test(l)).length, 3 * 10);
  const svg = readFileSync(path.join(dir, 'f1-by-method.svg'), 'utf8');
  t.is((svg.match(/<g class="panel"/g) ?? []).length, 2);

  // Growing the grid by a method trains only its cells: the pre-training and finished cells untouched.
  const pre = statSync(path.join(dir, 'pretrain', 'gpt', 'result.json')).mtimeMs;
  const done = statSync(path.join(dir, 'runs', 'gpt-lora', 'n12-s1', 'lora', 'result.json')).mtimeMs;
  await runPreset(recipePreset(configure(finetuneMethodsPreset, { set: { ...TINY, methods: ['full', 'lora', 'linear-probe', 'bitfit'] } })), {}, 5, { outDir: dir, logger: silentLogger() });
  t.is(statSync(path.join(dir, 'pretrain', 'gpt', 'result.json')).mtimeMs, pre);
  t.is(statSync(path.join(dir, 'runs', 'gpt-lora', 'n12-s1', 'lora', 'result.json')).mtimeMs, done);
  t.true(existsSync(path.join(dir, 'runs', 'bert-bitfit', 'n12-s1', 'bitfit', 'result.json')));
});

test('a bad grid fails before anything runs, naming the key', async (t) => {
  for (const [key, value] of [['methods', 'full,qlora'], ['backbones', 'gpt,t5'], ['sizes', '10,10']] as const) {
    const preset = recipePreset(configure(finetuneMethodsPreset, { set: { [key]: value } }));
    const out = mkdtempSync(path.join(tmpdir(), 'graft-fm-bad-'));
    try {
      const e = await t.throwsAsync(runPreset(preset, {}, 1, { outDir: out, logger: silentLogger() }));
      t.true(e instanceof GraftError);
      t.regex(e!.message + JSON.stringify((e as GraftError).details), new RegExp(key));
      t.false(existsSync(path.join(out, 'pretrain')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
});

test('methodRows and methodsTable by hand: F1 per size, cost medians, one-class runs', (t) => {
  const base = { backbone: 'gpt', examples: 10, accuracy: 0.8, collapsed: false };
  const runs: MethodRun[] = [
    { ...base, method: 'lora', size: 10, seed: 1, f1: 0.6, trainableParameters: 100, totalParameters: 1000, checkpointBytes: 2048, stepSeconds: 0.01, peakTensorBytes: 3 * 1024 * 1024 },
    { ...base, method: 'lora', size: 10, seed: 2, f1: 0.8, mostlyOneClass: true, trainableParameters: 100, totalParameters: 1000, checkpointBytes: 4096, stepSeconds: 0.03, peakTensorBytes: 3 * 1024 * 1024 },
    { ...base, method: 'lora', size: 0, examples: 50, seed: 1, f1: 0.9, collapsed: true, trainableParameters: 100, totalParameters: 1000, checkpointBytes: 1024, stepSeconds: 0.02, peakTensorBytes: 3 * 1024 * 1024 },
  ];
  const rows = methodRows(runs, [10, 0]);
  t.is(rows.length, 1);
  t.is(rows[0]!.bySize[0]!.f1.mean, 0.7);
  t.is(rows[0]!.checkpointBytes, 2048);
  t.is(rows[0]!.stepSeconds, 0.02);
  // Mostly one class: the flagged run, and the collapsed one.
  t.deepEqual(rows[0]!.bySize.map((b) => b.mostlyOneClass), [1, 1]);
  const table = methodsTable(rows).trim().split('\n');
  t.is(table[0], '| backbone | method | F1 at 10 | F1 at all (50) | one-class runs (all / ≥95%) | trained parameters | checkpoint | step | peak tensor memory |');
  t.is(table[2], '| gpt | lora | 0.700 ± 0.141 | 0.900 ± 0.000 | 1 / 2 | 100 (10%) | 2.0 KB | 20 ms | 3.00 MB |');
});
