import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ErrorCodes, GraftError, silentLogger, TRAINER_OPTIONS } from '../../core/index.ts';
import { EvaluateCallback, GradClipCallback } from '../../plugins/callbacks/index.ts';
import { TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { LmHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { AccuracyMetric, F1Metric } from '../../plugins/metrics/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../plugins/optimizers/index.ts';
import { ConstantScheduler, WarmupCosineScheduler } from '../../plugins/schedulers/index.ts';
import { ByteBpeTokenizerPlugin, CharTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import {
  checkpointOf,
  configure,
  createStageTrainer,
  gptPretrainPreset,
  override,
  placeholderContext,
  recipe,
  recipeFromData,
  recipeKeys,
  recipeToData,
  stage,
  tokenizerOf,
  stageSpecs,
  toStageSpec,
  use,
  type Recipe,
  type Use,
} from '../../presets/index.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const GPT = gptPretrainPreset;
const keyOf = (r: Recipe, key: string) => recipeKeys(r).find((k) => k.key === key);
const usesOf = (r: Recipe, stageName = 'pretrain') => r.stages.find((s) => s.name === stageName)!;
/** The plugins a stage runs, built as the runner builds them (swaps through the container). */
function built(r: Recipe, stageName = 'pretrain') {
  const specs = stageSpecs(r);
  const spec = specs.find((s) => s.name === stageName)!;
  const trainer = createStageTrainer(spec, placeholderContext(specs), { logger: silentLogger() });
  const plugins = [...trainer.plugins];
  trainer.dispose();
  return plugins;
}

test('keys come from each plugin\'s own schema: <stage>.<slot>.<option>, the slot named as DI binds it', (t) => {
  const keys = recipeKeys(GPT);
  const k = keyOf(GPT, 'pretrain.optimizer.beta1')!;
  t.is(k.spec, AdamwOptimizer.options.beta1, "the owner's spec object itself, not a copy");
  t.is(k.owner, 'optimizer:adamw');
  t.is(k.value, 0.9);
  t.is(keyOf(GPT, 'pretrain.grad-clip.maxNorm')!.spec, GradClipCallback.options.maxNorm);
  t.is(keyOf(GPT, 'pretrain.evaluate.every')!.value, 100);
  t.is(keyOf(GPT, 'pretrain.trainer.maxSteps')!.value, 250);
  t.is(keyOf(GPT, 'pretrain.head.initStd')!.given, false, 'options the recipe does not give are keys too, with the owner\'s default');
  t.is(keyOf(GPT, 'pretrain.head.initStd')!.value, LmHead.options.initStd.default);
  // Every option of every plugin of the stage, and every trainer option.
  const expected = usesOf(GPT).uses.reduce((n, u) => n + Object.keys(u.plugin.options).length, 0) + Object.keys(TRAINER_OPTIONS).length;
  t.is(keys.length, expected);
  t.is(new Set(keys.map((x) => x.key)).size, keys.length, 'unique');
  // The slots are those DI binds: the trainer built from the stage has exactly these.
  t.deepEqual(toStageSpec(usesOf(GPT)).slots, ['dataset', 'tokenizer', 'model', 'head', 'objective', 'optimizer', 'scheduler', 'grad-clip', 'evaluate', 'checkpoint', 'sample-text']);
});

test('configure: an alias sets all its targets; text is parsed and typed values checked with the owner\'s spec', (t) => {
  const r = configure(GPT, { set: { 'model.contextLength': '32', 'pretrain.optimizer.beta2': 0.98, 'train.lr': '1e-3', 'data.sources': 'npm:moby-dick,npm:sotu' } });
  t.is(keyOf(r, 'pretrain.model.contextLength')!.value, 32);
  t.is(keyOf(r, 'pretrain.dataset.seqLen')!.value, 32);
  t.is(keyOf(r, 'pretrain.optimizer.beta2')!.value, 0.98);
  t.is(keyOf(r, 'pretrain.optimizer.lr')!.value, 1e-3);
  t.deepEqual(keyOf(r, 'pretrain.dataset.sources')!.value, ['npm:moby-dick', 'npm:sotu']);
  t.is(keyOf(GPT, 'pretrain.model.contextLength')!.value, 64, 'the recipe itself is unchanged');
  // The built plugins receive the values.
  const plugins = built(r);
  t.is((plugins.find((p) => p.meta.name === 'model:gpt') as GptModel).options.contextLength, 32);
  t.is((plugins.find((p) => p.meta.name === 'dataset:text-corpus') as TextCorpusDataset).options.seqLen, 32);
  t.is((plugins.find((p) => p.meta.name === 'optimizer:adamw') as AdamwOptimizer).options.beta2, 0.98);
  // null (or the text null) removes the recipe's value: the owner's default applies.
  const unset = configure(GPT, { set: { 'pretrain.scheduler.warmupSteps': 'null', 'pretrain.scheduler.warmupFraction': '0.2' } });
  const sched = built(unset).find((p) => p.meta.name === 'scheduler:warmup-cosine') as WarmupCosineScheduler;
  t.is(sched.options.warmupSteps as number | undefined, undefined);
  t.is(sched.options.warmupFraction, 0.2);
});

test('configure: unknown keys, ill-typed values and an option set twice are CONFIG errors naming the key', (t) => {
  const err = (set: Record<string, unknown>, re: RegExp) => {
    const e = t.throws(() => configure(GPT, { set }), { instanceOf: GraftError });
    t.is(e.code, ErrorCodes.CONFIG, JSON.stringify(set));
    t.regex(e.message, re);
  };
  err({ 'pretrain.optimizer.betta1': '0.8' }, /unknown configuration key "pretrain.optimizer.betta1".*expected one of data.sources.*Did you mean pretrain.optimizer.beta1/);
  err({ 'train.lrr': '1' }, /unknown configuration key "train.lrr".*Did you mean train.lr/);
  err({ 'pretrain.optimizer.beta1': 'high' }, /plugin "optimizer:adamw", option "pretrain.optimizer.beta1": invalid value; expected a number/);
  err({ 'train.lr': 'x' }, /plugin "optimizer:adamw", option "train.lr": invalid value/);
  err({ 'pretrain.model.nLayers': 2.5 }, /option "pretrain.model.nLayers".*an integer/);
  err({ 'pretrain.dataset.sources': 'npm:moby-dick', 'data.sources': 'npm:sotu' }, /pretrain.dataset.sources is set twice: by pretrain.dataset.sources and by data.sources/);
  err({ 'model.contextLength': '16', 'pretrain.dataset.seqLen': '16' }, /pretrain.dataset.seqLen is set twice: by model.contextLength and by pretrain.dataset.seqLen/);
  err({ 'tokenizer.type': 'words' }, /option "tokenizer.type": invalid value; expected one of char, byte-bpe/);
});

test('--use swaps a slot\'s plugin: its options become the slot\'s keys, the container binds it in place', (t) => {
  const r = configure(GPT, { use: { 'pretrain.scheduler': 'scheduler:constant', 'pretrain.optimizer': 'optimizer:sgd' }, set: { 'pretrain.optimizer.momentum': '0.5' } });
  t.truthy(keyOf(r, 'pretrain.optimizer.momentum'));
  t.falsy(keyOf(r, 'pretrain.optimizer.beta1'), "the old plugin's keys are gone");
  t.falsy(keyOf(r, 'pretrain.scheduler.warmupSteps'));
  t.is(keyOf(r, 'pretrain.optimizer.lr')!.value, SgdOptimizer.options.lr.default, 'a plugin swapped in starts from its own defaults');
  // An alias whose target is gone says so.
  t.throws(() => configure(GPT, { use: { 'pretrain.scheduler': 'scheduler:constant' }, set: { 'train.warmupSteps': '5' } }), {
    message: /train.warmupSteps sets pretrain.scheduler.warmupSteps, which the plugin now in pretrain.scheduler does not have/,
  });
  // The recipe's plugins stay in the stage's slots; the swaps are container modules rebinding them.
  const spec = toStageSpec(usesOf(r));
  t.deepEqual(spec.plugins(placeholderContext([spec])).map((p) => p.meta.name).slice(5, 7), ['optimizer:adamw', 'scheduler:warmup-cosine']);
  t.is(spec.modules!(placeholderContext([spec])).length, 2);
  const names = built(r).map((p) => p.meta.name);
  t.deepEqual(names.slice(5, 7), ['optimizer:sgd', 'scheduler:constant'], 'in the place of the parts they replace');
  t.false(names.includes('optimizer:adamw'));
  t.is((built(r).find((p) => p.meta.name === 'optimizer:sgd') as SgdOptimizer).options.momentum, 0.5);
  // Errors: another kind, an unknown slot, an unknown plugin, a slot chosen twice.
  t.throws(() => configure(GPT, { use: { 'pretrain.scheduler': 'optimizer:sgd' } }), { message: /slot pretrain.scheduler holds a scheduler \(scheduler:warmup-cosine\); optimizer:sgd is a optimizer/ });
  t.throws(() => configure(GPT, { use: { 'pretrain.sched': 'scheduler:constant' } }), { message: /"pretrain.sched" is not a slot of gpt-next-token-pretrain; expected <stage>.<slot>, one of pretrain.dataset, .*Did you mean pretrain.scheduler/ });
  t.throws(() => configure(GPT, { use: { 'pretrain.scheduler': 'scheduler:cosine' } }), { message: /unknown plugin "scheduler:cosine"; expected one of scheduler:constant/ });
  t.throws(() => configure(GPT, { use: { 'pretrain.tokenizer': 'tokenizer:char' }, set: { 'tokenizer.type': 'byte-bpe' } }), { message: /the plugin of pretrain.tokenizer is chosen twice/ });
});

test('a choice alias swaps the slot\'s plugin with the options the recipe gives the choice', (t) => {
  const bpe = configure(GPT, { set: { 'tokenizer.type': 'byte-bpe' } });
  const tok = built(bpe).find((p) => p.meta.kind === 'tokenizer') as ByteBpeTokenizerPlugin;
  t.is(tok.meta.name, 'tokenizer:byte-bpe');
  t.is(tok.options.vocabSize, 1024);
  t.is(keyOf(bpe, 'pretrain.tokenizer.vocabSize')!.value, 1024);
  const sized = configure(GPT, { set: { 'tokenizer.type': 'byte-bpe', 'pretrain.tokenizer.vocabSize': '300' } });
  t.is((built(sized).find((p) => p.meta.kind === 'tokenizer') as ByteBpeTokenizerPlugin).options.vocabSize, 300);
  t.is(built(configure(GPT, { set: { 'tokenizer.type': 'char' } })).find((p) => p.meta.kind === 'tokenizer')!.meta.name, 'tokenizer:char');
});

test('override in code does what --use does', (t) => {
  const a = override(GPT, 'pretrain', use(SgdOptimizer, { lr: 0.1 }));
  const b = configure(GPT, { use: { 'pretrain.optimizer': 'optimizer:sgd' }, set: { 'pretrain.optimizer.lr': 0.1 } });
  t.deepEqual(recipeToData(a), recipeToData(b));
  t.throws(() => override(GPT, 'pretrain', use(AccuracyMetric)), { message: /stage pretrain has no slot of kind metric/ });
  t.throws(() => override(GPT, 'nope', use(SgdOptimizer)), { message: /has no stage "nope"/ });
});

const CORPUS = 'npm:moby-dick';

test('hand-overs are data, resolved by the runner to the earlier stage\'s checkpoint folder', (t) => {
  t.deepEqual(JSON.parse(JSON.stringify(checkpointOf('lm'))), { $ref: 'checkpoint', stage: 'lm' });
  const r = recipe({
    name: 'two',
    description: 'x',
    stages: [
      stage('lm', 'a', [use(TextCorpusDataset, { sources: [CORPUS] }), use(CharTokenizerPlugin), use(GptModel), use(LmHead), use(NextTokenObjective), use(AdamwOptimizer)]),
      stage('tune', 'b', [
        use(TextCorpusDataset, { sources: [CORPUS] }),
        use(CharTokenizerPlugin, { from: tokenizerOf('lm') }),
        use(GptModel),
        use(LmHead),
        use(NextTokenObjective),
        use(AdamwOptimizer),
        use(FromCheckpointInit, { path: checkpointOf('lm') }),
      ]),
    ],
  });
  const spec = toStageSpec(usesOf(r, 'tune'));
  const plugins = spec.plugins({ runDir: '/r', stageDir: '/r/tune', checkpoints: { lm: '/r/lm/checkpoint' }, results: {}, seed: 1 });
  t.is((plugins[1] as CharTokenizerPlugin).options.from, '/r/lm/checkpoint');
  t.is((plugins[6] as FromCheckpointInit).options.path, '/r/lm/checkpoint');
  t.deepEqual(recipeToData(r).stages[1]!.use[6], { plugin: 'init:from-checkpoint', options: { path: { $ref: 'checkpoint', stage: 'lm' } } });
  // A hand-over from a stage that does not run before is refused when the recipe is made.
  t.throws(
    () => recipe({ name: 'bad', description: '', stages: [stage('a', '', [use(FromCheckpointInit, { path: checkpointOf('b') })]), stage('b', '', [])] }),
    { message: /takes the checkpoint of stage "b", which does not run before it; expected an earlier stage \(this is the first\)/ },
  );
});

test('recipe() checks names, slots and aliases', (t) => {
  const s = (uses: Use[] = [use(GptModel)]) => stage('a', '', uses);
  t.throws(() => recipe({ name: 'r', description: '', stages: [s(), s()] }), { message: /stage "a" is listed twice/ });
  t.throws(() => recipe({ name: 'r', description: '', stages: [stage('a.b', '', [])] }), { message: /cannot be used in keys/ });
  t.throws(() => recipe({ name: 'r', description: '', stages: [s([use(EvaluateCallback), use(EvaluateCallback, { split: 'test' }, { slot: 'evaluate' })])] }), {
    message: /two plugins in slot "evaluate" \(callback:evaluate and callback:evaluate\).*Give one of them a slot of its own/,
  });
  t.throws(() => recipe({ name: 'r', description: '', stages: [s([use(AdamwOptimizer, {}, { slot: 'opt' })])] }), { message: /fills the role optimizer: its slot is "optimizer"/ });
  t.throws(() => recipe({ name: 'r', description: '', stages: [s()], aliases: { lr: 'a.optimizer.lr' } }), { message: /alias "lr" points to "a.optimizer.lr", which is not a key of the recipe/ });
  t.throws(() => recipe({ name: 'r', description: '', stages: [s()], aliases: { x: ['a.model.nLayers', 'a.model.causal'] } }), { message: /options of different types/ });
  // Named slots give stable keys: two evaluations, one on the test split.
  const named = recipe({ name: 'r', description: '', stages: [s([use(EvaluateCallback), use(EvaluateCallback, { split: 'test' }, { slot: 'test-eval' }), use(F1Metric), use(AccuracyMetric)])] });
  t.truthy(keyOf(named, 'a.test-eval.split'));
  t.truthy(keyOf(named, 'a.evaluate.every'));
  t.truthy(keyOf(named, 'a.f1.logitsKey'));
  t.truthy(keyOf(named, 'a.accuracy.labelsKey'));
});

test('a recipe as data reads back to the same recipe, swaps folded in; refs and slots kept', (t) => {
  for (const r of [GPT, configure(GPT, { use: { 'pretrain.scheduler': 'scheduler:constant' }, set: { 'tokenizer.type': 'byte-bpe', 'train.lr': '0.01' } })]) {
    const data = recipeToData(r);
    const again = recipeFromData(JSON.parse(JSON.stringify(data)));
    t.deepEqual(recipeToData(again), data);
    t.deepEqual(built(again).map((p) => [p.meta.name, p.options]), built(r).map((p) => [p.meta.name, p.options]));
  }
  const swapped = recipeToData(configure(GPT, { use: { 'pretrain.scheduler': 'scheduler:constant' } }));
  t.is(swapped.stages[0]!.use[6]!.plugin, 'scheduler:constant');
  t.false('train.warmupSteps' in swapped.aliases!, 'an alias whose target the swap removed is left out');
});
