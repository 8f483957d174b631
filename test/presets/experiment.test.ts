/**
 * Experiments as part of a recipe: their keys are configuration keys, the data (config.json) names
 * the experiment and its values and reads back to the same recipe, bad values are CONFIG errors
 * naming the key or the file and line; the stage edits an experiment builds its cells with.
 */
import test from 'ava';
import { ErrorCodes, GraftError } from '../../core/index.ts';
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
  t.regex(e!.message, /option "experiment\.name", x\.yaml:7: unknown experiment "grid-search"; expected one of transfer-vs-scratch/);
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
