/**
 * Experiments as part of a recipe: their keys are configuration keys, the data (config.json) names
 * the experiment and its values and reads back to the same recipe, bad values are CONFIG errors
 * naming the key or the file and line; the stage edits an experiment builds its cells with.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes, GraftError } from '../../core/index.ts';
import type { TextCorpusDataset } from '../../plugins/datasets/index.ts';
import {
  configure,
  describeRecipeKeys,
  experimentOptions,
  parseRecipeText,
  recipeFromData,
  recipeKeys,
  recipePreset,
  recipeToData,
  resolveStageHandOvers,
  slotsOf,
  stageSpecs,
  toStageSpec,
  TRANSFER_KINDS,
  transferVsScratchPreset,
  ulmfitPreset,
  withoutKinds,
  withStageOptions,
} from '../../presets/index.ts';

const TVS = transferVsScratchPreset;
const classifier = (r = TVS) => r.stages.find((s) => s.name === 'classifier')!;

test('experiment keys are keys of the recipe: set from text, defaulted, listed by describe, in the unknown-key hint', (t) => {
  t.deepEqual(experimentOptions(TVS.experiment!), { sizes: [50, 100, 300, 1000, 0], seeds: [1, 2, 3] });
  const r = configure(TVS, { set: { sizes: '100,1000', 'task.lr': '0.003' } });
  t.deepEqual(experimentOptions(r.experiment!), { sizes: [100, 1000], seeds: [1, 2, 3] });
  t.is(classifier(r).uses.find((u) => u.plugin.meta.kind === 'optimizer')!.options.lr, 0.003);
  // The recipe given in is left as it was.
  t.deepEqual(TVS.experiment!.values, {});
  t.regex(describeRecipeKeys(r), /experiment transfer-vs-scratch \(its own keys\):\n {2}sizes +\[100,1000\] +number\[\]/);
  const e = t.throws(() => configure(TVS, { set: { sizez: '1' } }), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.CONFIG);
  t.regex(e!.message, /unknown configuration key "sizez".*Did you mean sizes/);
  const bad = t.throws(() => configure(TVS, { set: { seeds: 'one' } }), { instanceOf: GraftError });
  t.regex(bad!.message, /option "seeds"/);
  // A recipe without an experiment has no such key.
  t.throws(() => configure(ulmfitPreset, { set: { sizes: '1' } }), { message: /unknown configuration key "sizes"/ });
});

test('the grid is checked before a run writes anything, naming the key', (t) => {
  const p = recipePreset(configure(TVS, { set: { seeds: '1,1' } }));
  const e = t.throws(() => p.validate!({}), { instanceOf: GraftError });
  t.regex(e!.message, /option "seeds": invalid value; expected a non-empty list of distinct integers/);
});

test('as data the experiment is named with its values, and reads back to the same recipe', (t) => {
  const r = configure(TVS, { set: { sizes: '8', seeds: '4,5' } });
  const data = recipeToData(r);
  t.deepEqual(data.experiment, { name: 'transfer-vs-scratch', options: { sizes: [8], seeds: [4, 5] } });
  const back = recipeFromData(JSON.parse(JSON.stringify(data)));
  t.is(back.experiment!.experiment, TVS.experiment!.experiment);
  t.deepEqual(recipeToData(back), data);
  t.deepEqual(recipeKeys(back).map((k) => [k.key, k.value]), recipeKeys(r).map((k) => [k.key, k.value]));
});

test('a recipe file naming an unknown experiment or a bad value fails with file and line', (t) => {
  const text = (exp: string) => `name: x\nstages:\n  - name: a\n    use:\n      - plugin: model:gpt\nexperiment:\n${exp}\n`;
  const unknown = parseRecipeText(text('  name: grid-search'), 'x.yaml');
  const e = t.throws(() => recipeFromData(unknown.data, undefined, unknown.locate), { instanceOf: GraftError });
  t.regex(e!.message, /option "experiment\.name", x\.yaml:7: unknown experiment "grid-search"; expected one of finetune-methods, transfer-vs-scratch/);
  const badValue = parseRecipeText(text('  name: transfer-vs-scratch\n  options:\n    sizes: many'), 'x.yaml');
  const v = t.throws(() => recipeFromData(badValue.data, undefined, badValue.locate), { instanceOf: GraftError });
  t.regex(v!.message, /option "experiment\.options\.sizes", x\.yaml:9/);
  const badKey = parseRecipeText(text('  name: transfer-vs-scratch\n  options:\n    sized: [1]'), 'x.yaml');
  t.throws(() => recipeFromData(badKey.data, undefined, badKey.locate), { message: /x\.yaml:9: unknown key "sized"; expected one of sizes, seeds/ });
});

test('stage edits: options set by slot key, kinds removed with the other slots kept, hand-overs resolved to folders', (t) => {
  const cls = classifier();
  const cell = withStageOptions(cls, { 'dataset.trainSize': 40, 'dataset.subsampleSeed': 2 });
  const ds = cell.uses.find((u) => u.plugin.meta.kind === 'dataset')!;
  t.is(ds.options.trainSize, 40);
  t.is(ds.options.subsampleSeed, 2);
  t.is(cls.uses.find((u) => u.plugin.meta.kind === 'dataset')!.options.trainSize, 0, 'the recipe\'s stage is unchanged');
  t.throws(() => withStageOptions(cls, { 'dataset.trainSize': -1 }), { message: /trainSize/ });

  const scratch = withoutKinds(cell, TRANSFER_KINDS);
  const before = slotsOf(cell);
  t.deepEqual(slotsOf(scratch), before.filter((s) => !['init', 'lr-groups', 'freezing'].includes(s)));
  t.false(scratch.uses.some((u) => TRANSFER_KINDS.includes(u.plugin.meta.kind)));
  t.throws(() => withoutKinds(scratch, ['init']), { message: /stage classifier has no plugin of kind "init"/ });

  const resolved = resolveStageHandOvers(cell, { 'target-lm': '/runs/x/lm/target-lm/checkpoint' });
  t.is(resolved.uses.find((u) => u.plugin.meta.kind === 'tokenizer')!.options.from, '/runs/x/lm/target-lm/checkpoint');
  t.is(resolved.uses.find((u) => u.plugin.meta.kind === 'init')!.options.path, '/runs/x/lm/target-lm/checkpoint');
});

test('--use swaps a part of a ULMFiT stage: the classifier\'s scheduler and optimizer', (t) => {
  const r = configure(ulmfitPreset, { use: { 'classifier.scheduler': 'scheduler:warmup-cosine', 'classifier.optimizer': 'optimizer:sgd' }, set: { 'classifier.scheduler.warmupSteps': '5' } });
  const s = classifier(r);
  t.is(s.swaps.scheduler!.plugin.meta.name, 'scheduler:warmup-cosine');
  t.is(s.swaps.scheduler!.options.warmupSteps, 5);
  t.is(s.swaps.optimizer!.plugin.meta.name, 'optimizer:sgd');
  // task.lr now sets SGD's lr (an option of the same name).
  t.is(classifier(configure(r, { set: { 'task.lr': '0.5' } })).swaps.optimizer!.options.lr, 0.5);
});

test('ULMFiT stage 2 reads the training split of the classifier\'s own data set: a separate test file never reaches it', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-optsref-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rows = (label: string, n: number, tag: string) => Array.from({ length: n }, (_, i) => `"${tag} ${label} text number ${i}",${label}`).join('\n');
  const train = path.join(dir, 'train.csv');
  const testFile = path.join(dir, 'test.csv');
  writeFileSync(train, `text,label\n${rows('ham', 20, 'train')}\n${rows('spam', 20, 'train')}\n`);
  writeFileSync(testFile, `text,label\n${rows('ham', 5, 'heldout')}\n${rows('spam', 5, 'heldout')}\n`);
  const r = configure(ulmfitPreset, { set: { 'classifier.dataset.source': '', 'classifier.dataset.train': train, 'classifier.dataset.test': testFile, 'classifier.dataset.splitSeed': 7 } });
  // The reference stays data; building the stage copies the classifier dataset's options into it.
  t.deepEqual(r.stages[1]!.uses[0]!.options.trainTextsOf, { $ref: 'options', stage: 'classifier', slot: 'dataset' });
  const specs = stageSpecs(r);
  const stage2 = specs[1]!.plugins({ runDir: dir, stageDir: dir, checkpoints: { 'general-lm': dir }, results: {}, seed: 1 })[0] as TextCorpusDataset;
  const cls = r.stages[2]!.uses[0]!.options;
  t.deepEqual(stage2.options.trainTextsOf, cls);
  stage2.load();
  const texts = stage2.trainingTexts().join('\n') + stage2.validationTexts().join('\n');
  t.false(texts.includes('heldout'), 'no test text in stage 2');
  t.true(texts.includes('train ham text number 3'));
  // A recipe built without its stages cannot resolve the reference: an error, not a silent default.
  t.throws(() => toStageSpec(r.stages[1]!).plugins({ runDir: dir, stageDir: dir, checkpoints: { 'general-lm': dir }, results: {}, seed: 1 }), { message: /refers to the options of classifier\.dataset, which were not resolved/ });
});

test('options references: as data they round-trip; a missing stage or slot is a CONFIG error', (t) => {
  const data = recipeToData(ulmfitPreset);
  t.deepEqual((data.stages[1]!.use[0]!.options as Record<string, unknown>).trainTextsOf, { $ref: 'options', stage: 'classifier', slot: 'dataset' });
  t.deepEqual(recipeToData(recipeFromData(JSON.parse(JSON.stringify(data)))), data);
  const broken = JSON.parse(JSON.stringify(data));
  broken.stages[1].use[0].options.trainTextsOf = { $ref: 'options', stage: 'classifier', slot: 'datasett' };
  t.throws(() => recipeFromData(broken), { instanceOf: GraftError, message: /refers to the options of classifier\.datasett, which is not a slot; expected one of dataset, tokenizer/ });
  broken.stages[1].use[0].options.trainTextsOf = { $ref: 'options', stage: 'nope', slot: 'dataset' };
  t.throws(() => recipeFromData(broken), { message: /stage "nope", which the recipe does not have/ });
  t.regex(describeRecipeKeys(ulmfitPreset), /target-lm\.dataset\.trainTextsOf +optionsOf\(classifier\.dataset\)/);
});
