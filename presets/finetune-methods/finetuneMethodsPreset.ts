import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';
import { EvaluateCallback, GradClipCallback, ResourceUsageCallback, TestEvaluationCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { LmHead, MlmHead, SequenceClassifierHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric, MaskedAccuracyMetric } from '../../plugins/metrics/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { ClassificationObjective, MaskedLmObjective, NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { WarmupCosineScheduler, WarmupLinearScheduler } from '../../plugins/schedulers/index.ts';
import { ByteBpeTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { cellBaselines } from '../baselines/cellBaselines.ts';
import { checkpointOf, defineExperiment, emptySlot, recipe, stage, toStageSpec, use, type Recipe, type RecipeStage } from '../recipe/index.ts';
import { effectiveUses } from '../recipe/stage.ts';
import { checkSizesAndSeeds } from '../recipe/experiment.ts';
import { renamedStage, resolveStageHandOvers, withoutKinds, withSlotUse, withStageOptions } from '../recipe/stageEdit.ts';
import type { ExperimentRunner } from '../runner/Preset.ts';
import { writeJsonAtomic } from '../runner/runPreset.ts';
import { collapsed, mostlyOneClass } from '../transfer-vs-scratch/testSetBaseline.ts';
import { FINETUNE_METHOD_NAMES, FINETUNE_METHOD_SLOT, FINETUNE_METHODS, type FinetuneMethod } from './finetuneMethods.ts';
import { methodRows, methodRun, methodRunsTable, methodsAccuracyTable, methodsTable, type MethodRun } from './methodResults.ts';
import { methodsPlot } from './methodsPlot.ts';

/** The shape both pre-trained models share, and the classifier loads. */
const MODEL = { contextLength: 128, nLayers: 2, nHeads: 4, dModel: 64 };
/** One byte-level BPE setup for both: `mask` for BERT's objective, `bos` for first-token pooling. */
const TOKENIZER = { vocabSize: 1024, specials: ['pad', 'bos', 'eos', 'mask'] };
const CORPUS = { sources: ['npm:moby-dick', 'npm:sotu'], maxChars: 2_000_000, seqLen: 128, batchSize: 16, validationFraction: 0.02, maxValidationBatches: 8 };
const PRETRAIN = { epochs: 1000, maxSteps: 400 };

/** Stage `gpt`: a small GPT by next-token prediction on the general corpora. */
export const gptPretrainStageFm = stage('gpt', 'GPT next-token pre-training on general text', [
  use(TextCorpusDataset, CORPUS),
  use(ByteBpeTokenizerPlugin, TOKENIZER),
  use(GptModel, { ...MODEL, causal: true, dropout: 0 }),
  use(LmHead, { tied: true }),
  use(NextTokenObjective),
  use(AdamwOptimizer, { lr: 3e-3, beta1: 0.9, beta2: 0.95, weightDecay: 0.1 }),
  use(WarmupCosineScheduler, { warmupSteps: 30, minLrRatio: 0.1 }),
  use(GradClipCallback, { maxNorm: 1 }),
  use(EvaluateCallback, { every: 0, atEpochEnd: false, atEnd: true }),
], PRETRAIN);

/** Stage `bert`: the same shape, bidirectional, by masked-LM with BERT's head. */
export const bertPretrainStageFm = stage('bert', 'BERT masked-LM pre-training on general text', [
  use(TextCorpusDataset, CORPUS),
  use(ByteBpeTokenizerPlugin, TOKENIZER),
  use(GptModel, { ...MODEL, causal: false, dropout: 0 }),
  use(MlmHead),
  use(MaskedLmObjective),
  use(MaskedAccuracyMetric),
  use(AdamwOptimizer, { lr: 2e-3, beta1: 0.9, beta2: 0.98, weightDecay: 0.01 }),
  use(WarmupLinearScheduler, { warmupSteps: 30, minLrRatio: 0 }),
  use(GradClipCallback, { maxNorm: 1 }),
  use(EvaluateCallback, { every: 0, atEpochEnd: false, atEnd: true }),
], PRETRAIN);

/**
 * Stage `classifier`, the template of every cell: the GPT checkpoint fine-tuned into a sequence
 * classifier (last-token pooling), the method's plugin in slot `method` (empty: full
 * fine-tuning). Every cell trains the same number of steps (equal compute), then the test split
 * is scored and `callback:resource-usage` records what the run cost. BERT cells point its
 * hand-overs at stage `bert` and pool by the mean (this BERT is not trained to put a summary in
 * its first token: no next-sentence task).
 */
export const finetuneClassifierStage = stage('classifier', 'a pre-trained transformer fine-tuned into a classifier', [
  use(LabelledTextDataset, { source: 'npm:spam-assassin', trainSize: 0, maxLen: 128, batchSize: 16, dropLast: true }),
  use(ByteBpeTokenizerPlugin, { from: checkpointOf('gpt') }),
  use(GptModel, { ...MODEL, causal: true, dropout: 0.1 }),
  use(SequenceClassifierHead, { pooling: 'last', dropout: 0.1 }),
  use(ClassificationObjective),
  use(AdamwOptimizer, { lr: 1e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0.01 }),
  use(WarmupLinearScheduler, { warmupFraction: 0.1, minLrRatio: 0 }),
  use(FromCheckpointInit, { path: checkpointOf('gpt'), select: 'backbone.**' }),
  emptySlot(FINETUNE_METHOD_SLOT),
  use(GradClipCallback, { maxNorm: 1 }),
  use(AccuracyMetric),
  use(F1Metric),
  use(ConfusionMatrixMetric),
  use(TestEvaluationCallback),
  use(ResourceUsageCallback),
  // The stage's checkpoint form: a parameter-efficient cell saves what it trained, on its base (set per
  // method by the experiment). No step checkpoints: a cell is short, an interrupted one starts over.
  use(PeriodicCheckpoint, { every: 0, atEnd: false, keep: 1, best: false, params: 'all' }),
], { epochs: 1000, maxSteps: 150 });

/** Methods whose frozen weights are the base checkpoint's: their checkpoints hold only what trained. */
export const ADAPTER_ONLY_METHODS: readonly FinetuneMethod[] = ['lora', 'bitfit', 'linear-probe', 'adapters'];

const BACKBONES = ['gpt', 'bert'] as const;
type Backbone = (typeof BACKBONES)[number];
export const SCRATCH = 'scratch';

export const FINETUNE_METHODS_OPTIONS = {
  backbones: { type: 'string[]', default: [...BACKBONES], doc: 'Pre-trained models to fine-tune: gpt (next-token), bert (masked-LM).' },
  methods: { type: 'string[]', default: [...FINETUNE_METHOD_NAMES], doc: `Fine-tuning methods (${FINETUNE_METHOD_NAMES.join(', ')}).` },
  scratch: { type: 'boolean', default: true, doc: 'Also train each classifier from random weights (everything trains), the no-transfer reference.' },
  sizes: { type: 'number[]', default: [100, 1000, 0], doc: 'Labelled training-set sizes (stratified, nested; 0: the whole training split).' },
  seeds: { type: 'number[]', default: [1, 2, 3], doc: 'Seeds: each picks the labelled subsample and seeds the runs.' },
} as const satisfies OptionSchema;

export type FinetuneMethodsOptions = ResolvedOptions<typeof FINETUNE_METHODS_OPTIONS>;

function bad(option: string, expected: string, received: unknown): GraftError {
  return new GraftError(ErrorCodes.CONFIG, 'invalid value', { option, expected, received });
}

/** The grid: known backbones and methods, distinct non-negative sizes and seeds, the stages it needs. */
export function checkFinetuneGrid(r: Recipe, o: FinetuneMethodsOptions): void {
  const distinct = (v: readonly unknown[]) => new Set(v).size === v.length;
  if (o.backbones.length === 0 || !distinct(o.backbones) || o.backbones.some((b) => !(BACKBONES as readonly string[]).includes(b))) throw bad('backbones', `distinct values of ${BACKBONES.join(', ')}`, o.backbones);
  if (!distinct(o.methods) || o.methods.some((m) => !(FINETUNE_METHOD_NAMES as readonly string[]).includes(m))) throw bad('methods', `distinct values of ${FINETUNE_METHOD_NAMES.join(', ')}`, o.methods);
  if (o.methods.length === 0 && !o.scratch) throw bad('methods', 'at least one method (or scratch: true)', o.methods);
  checkSizesAndSeeds(o);
  for (const name of [...o.backbones, 'classifier']) {
    if (!r.stages.some((s) => s.name === name)) throw new GraftError(ErrorCodes.CONFIG, `recipe ${r.name} has no stage "${name}"`, { expected: `stages ${[...BACKBONES, 'classifier'].join(', ')}` });
  }
}

/** Sub-folder of one cell. */
export function methodCellDir(backbone: string, method: string, size: number, seed: number): string {
  return path.join('runs', `${backbone}-${method}`, `n${size}-s${seed}`);
}

/**
 * The classifier of one cell: the template pointed at the backbone's checkpoint, the labelled
 * subsample (size, seed) and the method's plugin in the method slot; from scratch, without the
 * checkpoint (`init`) and with every parameter training.
 */
export function methodCellStage(r: Recipe, backbone: Backbone, method: FinetuneMethod | typeof SCRATCH, size: number, seed: number, checkpoints: Readonly<Record<string, string>>): RecipeStage {
  const template = r.stages.find((s) => s.name === 'classifier')!;
  // The template's hand-overs name stage gpt; a BERT cell takes the same from stage bert.
  let s = resolveStageHandOvers(template, { gpt: checkpoints[backbone]! });
  s = withStageOptions(s, {
    'dataset.trainSize': size,
    'dataset.subsampleSeed': seed,
    ...(backbone === 'bert' ? { 'model.causal': false, 'head.pooling': 'mean' } : {}),
    ...((ADAPTER_ONLY_METHODS as readonly string[]).includes(method) ? { 'checkpoint.params': 'trainable' } : {}),
  });
  s = method === SCRATCH ? withSlotUse(withoutKinds(s, ['init']), FINETUNE_METHOD_SLOT, null) : withSlotUse(s, FINETUNE_METHOD_SLOT, FINETUNE_METHODS[method]);
  return renamedStage(s, method, `${backbone} ${method === SCRATCH ? 'classifier from scratch' : `fine-tuned: ${method}`}`);
}

/**
 * The experiment: the pre-training stages once (`<out>/pretrain/{gpt,bert}`), then for every size
 * and seed the baselines and, per backbone, each method and the classifier from scratch
 * (`<out>/runs/<backbone>-<method>/n<size>-s<seed>`), all scored on the same test split. Writes
 * results.json, results.md and f1-by-method.svg; finished cells are reused, so it resumes and grows.
 */
export async function runFinetuneMethods(r: Recipe, o: FinetuneMethodsOptions, run: ExperimentRunner, runDir: string): Promise<Record<string, unknown>> {
  checkFinetuneGrid(r, o);
  const backbones = o.backbones as Backbone[];
  const pre = await run('pretrain', backbones.map((b) => toStageSpec(r.stages.find((s) => s.name === b)!, r)));
  const checkpoints = Object.fromEntries(backbones.map((b) => [b, path.join(runDir, 'pretrain', b, 'checkpoint')]));
  const dataset = effectiveUses(r.stages.find((s) => s.name === 'classifier')!).find((u) => u.plugin.meta.kind === 'dataset');
  const baselines = cellBaselines(dataset);
  const variants = [...(o.methods as FinetuneMethod[]), ...(o.scratch ? [SCRATCH] : [])] as (FinetuneMethod | typeof SCRATCH)[];
  const runs: MethodRun[] = [];
  // Every cell is started before any is awaited (graft sweep runs them at once; graft run one at a time, in this order).
  const cells = o.sizes.flatMap((size) => o.seeds.flatMap((seed) => backbones.flatMap((b) => variants.map((m) => run(methodCellDir(b, m, size, seed), [toStageSpec(methodCellStage(r, b, m, size, seed, checkpoints), r)], seed)))));
  let cell = 0;
  for (const size of o.sizes) {
    for (const seed of o.seeds) {
      for (const b of backbones) {
        for (const m of variants) {
          const res = await cells[cell++]!;
          runs.push(methodRun(b, m, size, seed, res[m]));
        }
      }
      const base = baselines?.at(size, seed);
      if (base) {
        for (const [name, s] of [['bag-of-words', base.bagOfWords], ['majority', base.majority]] as const) {
          runs.push({ backbone: 'baseline', method: name, size, seed, examples: s.examples, f1: s.f1, accuracy: s.accuracy, collapsed: collapsed(s.confusion), mostlyOneClass: mostlyOneClass(s.confusion) });
        }
      }
    }
  }
  const order = (x: MethodRun) => (x.backbone === 'baseline' ? 1 : 0);
  const sorted = [...runs].sort((a, b) => order(a) - order(b));
  const rows = methodRows(sorted, o.sizes);
  const metric = (stage: string, key: string) => (pre[stage]?.metrics as Record<string, number> | undefined)?.[key];
  const pretraining = Object.fromEntries(backbones.map((b) => [b, { validationLoss: metric(b, 'validation_loss'), validationPerplexity: metric(b, 'validation_perplexity'), maskedAccuracy: metric(b, 'validation_masked_accuracy'), seconds: pre[b]?.seconds }]));
  const task = String(dataset?.options.source ?? '?');
  writeJsonAtomic(path.join(runDir, 'results.json'), { task, metric: 'test macro-F1 and accuracy; mean and sample std over seeds', pretraining, rows, runs });
  const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(3) : '?');
  const md =
    `# Fine-tuning methods: ${task}\n\n` +
    `Test macro-F1 on the same ${task} test split; mean ± sample standard deviation over seeds ${o.seeds.join(', ')}. ` +
    `Every fine-tuning run trains the same number of steps from the same checkpoint; only what learns, and how fast, differs. ` +
    `Costs are medians over a row's runs (trained parameters: the most that trained).\n\n` +
    `Pre-training: ${backbones.map((b) => `${b} validation loss ${fmt(pretraining[b]!.validationLoss)}${pretraining[b]!.maskedAccuracy !== undefined ? `, masked-token accuracy ${fmt(pretraining[b]!.maskedAccuracy)}` : ''}`).join('; ')}.\n\n` +
    '## Test macro-F1 and cost\n\n' +
    methodsTable(rows) +
    '\n## Test accuracy\n\n' +
    methodsAccuracyTable(rows) +
    '\n## Every run\n\n' +
    methodRunsTable(sorted);
  writeFileSync(path.join(runDir, 'results.md'), md);
  writeFileSync(path.join(runDir, 'f1-by-method.svg'), methodsPlot(rows, { title: `Test macro-F1 by fine-tuning method (${task})` }));
  return { results: path.join(runDir, 'results.md'), plot: path.join(runDir, 'f1-by-method.svg'), table: methodsTable(rows) };
}

export const finetuneMethodsExperiment = defineExperiment({
  name: 'finetune-methods',
  options: FINETUNE_METHODS_OPTIONS,
  validate: checkFinetuneGrid,
  run: runFinetuneMethods,
});

const BOTH = (key: string) => ['gpt', 'bert', 'classifier'].map((s) => `${s}.${key}`);

export const finetuneMethodsPreset = recipe({
  name: 'finetune-methods',
  description: 'Pre-train a small GPT and a small BERT once, fine-tune each by every method (full, LoRA, BitFit, linear probe, adapters, layer-wise rates) and from scratch at several labelled-set sizes and seeds: F1, parameters, bytes, time, memory.',
  stages: [gptPretrainStageFm, bertPretrainStageFm, finetuneClassifierStage],
  aliases: {
    'pretrain.sources': ['gpt.dataset.sources', 'bert.dataset.sources'],
    'pretrain.maxChars': ['gpt.dataset.maxChars', 'bert.dataset.maxChars'],
    'pretrain.steps': ['gpt.trainer.maxSteps', 'bert.trainer.maxSteps'],
    'pretrain.batchSize': ['gpt.dataset.batchSize', 'bert.dataset.batchSize'],
    'tokenizer.vocabSize': ['gpt.tokenizer.vocabSize', 'bert.tokenizer.vocabSize'],
    'model.contextLength': [...BOTH('model.contextLength'), 'gpt.dataset.seqLen', 'bert.dataset.seqLen', 'classifier.dataset.maxLen'],
    'model.nLayers': BOTH('model.nLayers'),
    'model.nHeads': BOTH('model.nHeads'),
    'model.dModel': BOTH('model.dModel'),
    'task.source': 'classifier.dataset.source',
    'task.steps': 'classifier.trainer.maxSteps',
    'task.batchSize': 'classifier.dataset.batchSize',
    'task.lr': 'classifier.optimizer.lr',
  },
  experiment: finetuneMethodsExperiment,
});
