/**
 * The ULMFiT preset end to end on slices of the real data (Moby Dick, SpamAssassin) with a tiny
 * AWD-LSTM: the three stages complete, a finished run is skipped, and each stage hands the next
 * the encoder (and the vocabulary), never a head.
 */
import test from 'ava';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, readCheckpoint, selectBackend, silentLogger, type Trainer } from '../../core/index.ts';
import { checkpointTokenizer, FromCheckpointInit, vocabularyOf } from '../../plugins/init/index.ts';
import { loadTokenizer } from '../../plugins/tokenizers/index.ts';
import { configure, recipePreset, runPreset, toStageSpec, TRANSFER_KINDS, ulmfitPreset, withoutKinds, type StageContext, type StageOutcome } from '../../presets/index.ts';

// Sizes chosen so each stage takes a second or two on wasm; the validation splits are not empty
// (stage 1 holds out 2% of 4 KiB chunks, stage 2 5%).
const TINY = {
  'lm.sources': ['npm:moby-dick'],
  'lm.maxChars': 120_000,
  'lm.steps': 4,
  'lm.seqLen': 16,
  'lm.batchSize': 8,
  'target.steps': 4,
  'target.maxChars': 60_000,
  'vocab.maxSize': 400,
  'vocab.minFreq': 2,
  'model.embSize': 8,
  'model.hiddenSize': 16,
  'model.nLayers': 2,
  'task.trainSize': 40,
  'task.maxLen': 24,
  'task.batchSize': 8,
  'task.epochs': 4,
  'task.minSteps': 0,
  'task.maxSteps': 0,
};
const recipe = configure(ulmfitPreset, { set: TINY });
const preset = recipePreset(recipe);
const stageOf = (name: string) => recipe.stages.find((s) => s.name === name)!;
const dir = mkdtempSync(path.join(tmpdir(), 'graft-ulmfit-'));
let first: StageOutcome[] = [];

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
  first = (await runPreset(preset, {}, 5, { outDir: dir, logger: silentLogger() })).outcomes;
});

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const stageCtx = (): StageContext => ({
  runDir: dir,
  stageDir: path.join(dir, 'probe'),
  checkpoints: Object.fromEntries(first.map((o) => [o.name, o.checkpoint])),
  results: {},
  seed: 5,
});

async function build(plugins: Trainer['plugins'], seed = 5): Promise<Trainer> {
  const trainer = createTrainer({ plugins: [...plugins], options: { seed }, logger: silentLogger() });
  await trainer.setup();
  return trainer;
}

const valuesOf = (t: Trainer, name: string) => Array.from(t.params.get(name).dataSync());

test.serial('a tiny 3-stage run completes: LM perplexities, test accuracy and F1 in [0, 1]', (t) => {
  t.deepEqual(first.map((o) => [o.name, o.skipped]), [['general-lm', false], ['target-lm', false], ['classifier', false]]);
  for (const o of first.slice(0, 2)) {
    const ppl = (o.result.metrics as Record<string, number>).validation_perplexity!;
    // Better than nothing, no worse than uniform over the vocabulary (+ margin for 4 steps).
    t.true(Number.isFinite(ppl) && ppl > 1 && ppl < 2 * 400, `${o.name} perplexity ${ppl}`);
    t.is(o.result.steps, 4);
  }
  const cls = first[2]!.result;
  for (const k of ['test_accuracy', 'test_f1'] as const) {
    const v = cls[k] as number;
    t.true(typeof v === 'number' && v >= 0 && v <= 1, `${k} = ${v}`);
  }
  t.is(cls.train_examples, 40);
  // 40 examples in batches of 8, 4 epochs (2 LSTM layers: 4 layer groups, the bottom unfrozen in the last epoch).
  t.is(cls.steps, 20);
  const cm = cls.confusion as number[][];
  t.is(cm.flat().reduce((a, b) => a + b, 0), 576, 'the whole test split is evaluated');
  t.is(cm[0]![0]! + cm[1]![1]!, Math.round((cls.test_accuracy as number) * 576));
  // The run's report.html: every stage, the classifier's confusion matrix with the class names.
  const report = readFileSync(path.join(dir, 'report.html'), 'utf8');
  for (const st of ['general-lm', 'target-lm', 'classifier']) t.true(report.includes(`<h2>${st}</h2>`), st);
  t.regex(report, /<table class="cm"><tr><th>true \\ predicted<\/th><th>ham<\/th><th>spam<\/th><\/tr><tr><th>ham<\/th><td>\d+<\/td>/);
});

test.serial('running again skips all three stages and re-trains nothing', async (t) => {
  const results = first.map((o) => path.join(dir, o.name, 'result.json'));
  const before = results.map((f) => statSync(f).mtimeMs);
  const again = (await runPreset(preset, {}, 5, { outDir: dir, logger: silentLogger() })).outcomes;
  t.deepEqual(again.map((o) => o.skipped), [true, true, true]);
  t.deepEqual(again.map((o) => o.result), first.map((o) => o.result));
  t.deepEqual(results.map((f) => statSync(f).mtimeMs), before);
  t.deepEqual(first.map((o) => statSync(path.join(o.checkpoint, 'manifest.json')).mtimeMs), again.map((o) => statSync(path.join(o.checkpoint, 'manifest.json')).mtimeMs));
});

test.serial('stage 2 starts from stage 1: shared words keep their embedding row, new words get the mean row', async (t) => {
  const ctx = stageCtx();
  const trainer = await build(toStageSpec(stageOf('target-lm'), recipe).plugins(ctx));
  try {
    const old = readCheckpoint(ctx.checkpoints['general-lm']!);
    const init = trainer.plugin<FromCheckpointInit>(FromCheckpointInit.meta.name)!;
    const report = init.report!;
    t.true(report.loaded.length > 0 && report.loaded.every((n) => n.startsWith('backbone.')));
    t.true(report.vocab!.carried > 6 && report.vocab!.added > 0, JSON.stringify(report.vocab));
    const D = TINY['model.embSize'];
    const oldEmbed = old.params['backbone.tokEmbed']!.data as Float32Array;
    const newEmbed = trainer.params.get('backbone.tokEmbed').dataSync() as Float32Array;
    const tok = trainer.role('tokenizer').tokenizer;
    // Stage 1's vocabulary, from the tokenizer state saved in its checkpoint.
    const oldTokenizer = loadTokenizer(checkpointTokenizer(old.manifest, old.dir)!.json);
    const oldVocab = new Map(vocabularyOf(oldTokenizer).map((w, i) => [w, i]));
    const mean = new Float32Array(D);
    const V0 = oldTokenizer.vocabSize;
    for (let i = 0; i < V0; i++) for (let d = 0; d < D; d++) mean[d]! += oldEmbed[i * D + d]! / V0;
    let shared = 0;
    let fresh = 0;
    let worst = 0;
    for (let id = 0; id < tok.vocabSize; id++) {
      const o = oldVocab.get(tok.idToToken(id));
      for (let d = 0; d < D; d++) {
        const v = newEmbed[id * D + d]!;
        worst = Math.max(worst, Math.abs(v - (o !== undefined ? oldEmbed[o * D + d]! : mean[d]!)));
      }
      if (o !== undefined) shared++;
      else fresh++;
    }
    // Carried rows are copies; new rows the mean (summed here in another order: float rounding).
    t.true(worst < 1e-5, `largest deviation ${worst}`);
    t.true(shared > 6 && fresh > 0);
    t.is(shared, report.vocab!.carried);
    t.is(fresh, report.vocab!.added);
    for (const name of report.loaded.filter((n) => n !== 'backbone.tokEmbed')) t.deepEqual(valuesOf(trainer, name), Array.from(old.params[name]!.data as Float32Array), name);
  } finally {
    trainer.dispose();
  }
});

test.serial('stage 3 hand-over: the encoder is stage 2\'s, the classifier head is freshly built, the vocabulary is stage 2\'s', async (t) => {
  const ctx = stageCtx();
  const lm = readCheckpoint(ctx.checkpoints['target-lm']!);
  // The stage-2 checkpoint holds the encoder only (its LM decoder is tied to the embedding).
  t.true(Object.keys(lm.params).every((n) => n.startsWith('backbone.')), Object.keys(lm.params).join(', '));
  const transfer = await build(toStageSpec(stageOf('classifier'), recipe).plugins(ctx));
  const scratch = await build(toStageSpec(withoutKinds(stageOf('classifier'), TRANSFER_KINDS), recipe).plugins(ctx));
  try {
    const report = transfer.plugin<FromCheckpointInit>(FromCheckpointInit.meta.name)!.report!;
    const backbone = transfer.params.names().filter((n) => n.startsWith('backbone.'));
    t.deepEqual([...report.loaded].sort(), [...backbone].sort());
    t.true(report.loaded.every((n) => n.startsWith('backbone.')));
    for (const name of backbone) {
      t.deepEqual(valuesOf(transfer, name), Array.from(lm.params[name]!.data as Float32Array), name);
      t.notDeepEqual(valuesOf(scratch, name), valuesOf(transfer, name), `${name}: the scratch model is not the encoder`);
    }
    // The head: as built with the run seed, identical in the two variants (nothing was loaded into it).
    const head = transfer.params.names().filter((n) => n.startsWith('head.'));
    t.true(head.length >= 4, head.join(', '));
    for (const name of head) t.deepEqual(valuesOf(transfer, name), valuesOf(scratch, name), name);
    // Same vocabulary: the tokenizer was loaded from stage 2's checkpoint.
    const tok = transfer.role('tokenizer').tokenizer;
    t.is(tok.vocabSize, lm.params['backbone.tokEmbed']!.shape[0]);
    t.is(scratch.role('tokenizer').tokenizer.vocabSize, tok.vocabSize);
    // Gradual unfreezing: only the head trains at the start.
    t.true(backbone.every((n) => !transfer.params.isTrainable(n)));
    t.true(head.filter((n) => transfer.params.entry(n).role !== 'buffer').every((n) => transfer.params.isTrainable(n)));
    t.true(backbone.every((n) => scratch.params.isTrainable(n)));
  } finally {
    transfer.dispose();
    scratch.dispose();
  }
});

test.serial('stage 1 can start from static word vectors: the empty init slot filled with init:pretrained-embeddings', async (t) => {
  // Vectors of the model's width (embSize 8) for a few words of the general corpus, and one it lacks.
  const words = ['the', 'whale', 'sea', 'ship', 'ahab', 'zzzunseen'];
  const file = path.join(dir, 'vectors.txt');
  const vec = (i: number) => Array.from({ length: TINY['model.embSize'] }, (_, d) => Math.fround((i + 1) * 0.125 - d * 0.0625));
  writeFileSync(file, words.map((w, i) => `${w} ${vec(i).join(' ')}`).join('\n') + '\n');
  const r = configure(ulmfitPreset, { set: { ...TINY, 'general-lm.init.source': file }, use: { 'general-lm.init': 'init:pretrained-embeddings' } });
  const ctx = stageCtx();
  const trainer = await build(toStageSpec(r.stages.find((s) => s.name === 'general-lm')!, r).plugins(ctx));
  try {
    const tok = trainer.role('tokenizer').tokenizer;
    const ids = new Map(Array.from({ length: tok.vocabSize }, (_, id) => [tok.idToToken(id), id]));
    const E = trainer.params.get('backbone.tokEmbed').dataSync() as Float32Array;
    const D = TINY['model.embSize'];
    let found = 0;
    words.forEach((w, i) => {
      const id = ids.get(w);
      if (id === undefined) return;
      found++;
      t.deepEqual(Array.from(E.subarray(id * D, (id + 1) * D)), vec(i), w);
    });
    t.true(found >= 3, `only ${found} of the words are in the stage-1 vocabulary`);
    t.false(ids.has('zzzunseen'));
  } finally {
    trainer.dispose();
  }
  // Without the --use, the slot stays empty: no init plugin in stage 1.
  t.false(toStageSpec(stageOf('general-lm'), recipe).plugins(stageCtx()).some((p) => p.meta.kind === 'init'));
});
