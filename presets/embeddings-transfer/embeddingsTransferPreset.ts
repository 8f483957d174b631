import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';
import { GradClipCallback, ResourceUsageCallback, TestEvaluationCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { LabelledTextDataset } from '../../plugins/datasets/index.ts';
import { ClassifierHead } from '../../plugins/heads/index.ts';
import { npmVectorsInstalled } from '../../plugins/init/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric } from '../../plugins/metrics/index.ts';
import { AwdLstmModel, EmbeddingBagModel } from '../../plugins/models/index.ts';
import { ClassificationObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { SlantedTriangularScheduler, WarmupLinearScheduler } from '../../plugins/schedulers/index.ts';
import { WordTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { cellBaselines } from '../baselines/cellBaselines.ts';
import { methodRows, methodRun, methodRunsTable, methodsAccuracyTable, methodsTable, type MethodRow, type MethodRun } from '../finetune-methods/methodResults.ts';
import { methodsPlot } from '../finetune-methods/methodsPlot.ts';
import { alias, defineExperiment, emptySlot, recipe, stage, toStageSpec, use, type Recipe, type RecipeStage } from '../recipe/index.ts';
import { effectiveUses } from '../recipe/stage.ts';
import { checkSizesAndSeeds } from '../recipe/experiment.ts';
import { renamedStage, withSlotUse, withStageOptions } from '../recipe/stageEdit.ts';
import type { ExperimentRunner } from '../runner/Preset.ts';
import { writeJsonAtomic } from '../runner/runPreset.ts';
import { collapsed, mostlyOneClass } from '../transfer-vs-scratch/testSetBaseline.ts';
import { wordVectorsStage } from '../word-vectors/wordVectorsPreset.ts';
import { pairedTable } from './pairedTable.ts';
import {
  EMBEDDING_MODES,
  EMBEDDING_SOURCES,
  FREEZE_SLOT,
  INIT_SLOT,
  WINK_PACKAGE,
  variantName,
  variantUses,
  type EmbeddingMode,
  type EmbeddingSource,
} from './embeddingVariants.ts';

/** The word vectors' width: the skip-gram stage's and wink's (100-d); both classifiers' embeddings have it. */
const DIM = 100;
const TASK = { source: 'npm:spam-assassin', trainSize: 0, maxLen: 64, batchSize: 32, dropLast: true };
/** Every classifier fits its word vocabulary on the task's whole training split (text only, labels unused), the same for every variant. */
const VOCAB = { maxVocab: 20000, minFreq: 2 };
const SCORING = [
  use(AccuracyMetric),
  use(F1Metric),
  use(ConfusionMatrixMetric),
  use(TestEvaluationCallback),
  use(ResourceUsageCallback),
  // No step checkpoints (a run takes seconds: an interrupted one starts over), the stage's own at its end.
  use(PeriodicCheckpoint, { every: 0, atEnd: false, keep: 1, best: false }),
];

/**
 * Stage `bag`, a classifier template: a bag of embeddings (model:embedding-bag) max- and
 * mean-pooled into a small MLP (head:classifier with pooling [max, mean]), AdamW with linear
 * decay. The variant's plugins go in slots `init` and `freeze`.
 */
export const bagClassifierStage = stage('bag', 'bag of word embeddings, max- and mean-pooled, into a small MLP', [
  use(LabelledTextDataset, TASK),
  use(WordTokenizerPlugin, VOCAB),
  use(EmbeddingBagModel, { dim: DIM, embedDropout: 0.1 }),
  use(ClassifierHead, { pooling: ['max', 'mean'], hidden: [50], dropouts: [0.1, 0.1] }),
  use(ClassificationObjective),
  use(AdamwOptimizer, { lr: 3e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0.01 }),
  use(WarmupLinearScheduler, { warmupFraction: 0.1, minLrRatio: 0 }),
  emptySlot(INIT_SLOT),
  emptySlot(FREEZE_SLOT),
  use(GradClipCallback, { maxNorm: 1 }),
  ...SCORING,
], { epochs: 10, minSteps: 100, maxSteps: 600 });

/**
 * Stage `awd-lstm`, a classifier template: ULMFiT's classifier (its AWD-LSTM, head, optimizer and
 * schedule) with a 100-d embedding and nothing pre-trained but what the variant puts in slot
 * `init`: the same model transfer-vs-scratch trains from scratch, here started from word vectors.
 */
export const awdLstmClassifierStage = stage('awd-lstm', 'AWD-LSTM classifier (ULMFiT\'s, without its language model)', [
  use(LabelledTextDataset, TASK),
  use(WordTokenizerPlugin, VOCAB),
  use(AwdLstmModel, { embSize: DIM, hiddenSize: 128, nLayers: 3, embedDropout: 0.05, inputDropout: 0.4, hiddenDropout: 0.3, outputDropout: 0.2, weightDropout: 0.3, dropMult: 0.3 }),
  use(ClassifierHead, { hidden: [50], dropouts: [0.2, 0.1], dropMult: 0.3 }),
  use(ClassificationObjective),
  use(AdamwOptimizer, { lr: 1e-2, beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }),
  use(SlantedTriangularScheduler, { cutFrac: 0.1, ratio: 32 }),
  emptySlot(INIT_SLOT),
  emptySlot(FREEZE_SLOT),
  use(GradClipCallback, { maxNorm: 1 }),
  ...SCORING,
], { epochs: 5, minSteps: 80, maxSteps: 600 });

export const CLASSIFIERS = ['bag', 'awd-lstm'] as const;
type Classifier = (typeof CLASSIFIERS)[number];
const VECTORS_STAGE = 'vectors';

export const EMBEDDINGS_TRANSFER_OPTIONS = {
  classifiers: { type: 'string[]', default: [...CLASSIFIERS], doc: 'Classifier templates (stages) to train: bag (pooled embeddings, MLP), awd-lstm (ULMFiT\'s classifier).' },
  embeddings: { type: 'string[]', default: [...EMBEDDING_SOURCES], doc: `Where the embedding starts: random, skip-gram (the vectors stage), wink (npm:${WINK_PACKAGE}; skipped with a note when not installed).` },
  modes: { type: 'string[]', default: [...EMBEDDING_MODES], doc: 'frozen (the embedding stays as it started), fine-tuned (it trains with the classifier).' },
  sizes: { type: 'number[]', default: [100, 1000, 0], doc: 'Labelled training-set sizes (stratified, nested; 0: the whole training split).' },
  seeds: { type: 'number[]', default: [1, 2, 3], doc: 'Seeds: each picks the labelled subsample and seeds the runs.' },
} as const satisfies OptionSchema;

export type EmbeddingsTransferOptions = ResolvedOptions<typeof EMBEDDINGS_TRANSFER_OPTIONS>;

function bad(option: string, expected: string, received: unknown): GraftError {
  return new GraftError(ErrorCodes.CONFIG, 'invalid value', { option, expected, received });
}

/** The grid: known classifiers, sources and modes, distinct sizes and seeds, the stages it needs. */
export function checkEmbeddingsGrid(r: Recipe, o: EmbeddingsTransferOptions): void {
  const distinct = (v: readonly unknown[]) => new Set(v).size === v.length;
  const lists: [string, readonly string[], readonly string[]][] = [
    ['classifiers', o.classifiers, CLASSIFIERS],
    ['embeddings', o.embeddings, EMBEDDING_SOURCES],
    ['modes', o.modes, EMBEDDING_MODES],
  ];
  for (const [key, v, known] of lists) {
    if (v.length === 0 || !distinct(v) || v.some((x) => !known.includes(x))) throw bad(key, `a non-empty list of distinct values of ${known.join(', ')}`, v);
  }
  checkSizesAndSeeds(o);
  const need = [...o.classifiers, ...(o.embeddings.includes('skip-gram') ? [VECTORS_STAGE] : [])];
  for (const name of need) {
    if (!r.stages.some((s) => s.name === name)) throw new GraftError(ErrorCodes.CONFIG, `recipe ${r.name} has no stage "${name}"`, { expected: `stages ${[VECTORS_STAGE, ...CLASSIFIERS].join(', ')}` });
  }
}

/** Sub-folder of one run: `runs/<classifier>-<variant>/n<size>-s<seed>`. */
export function embeddingCellDir(classifier: string, variant: string, size: number, seed: number): string {
  return path.join('runs', `${classifier}-${variant}`, `n${size}-s${seed}`);
}

/** One run: the classifier template with the labelled subsample (size, seed) and the variant's plugins in its slots. */
export function embeddingCellStage(r: Recipe, classifier: Classifier, source: EmbeddingSource, mode: EmbeddingMode, size: number, seed: number, vectorsFile: string | undefined): RecipeStage {
  let s = withStageOptions(r.stages.find((x) => x.name === classifier)!, { 'dataset.trainSize': size, 'dataset.subsampleSeed': seed });
  for (const [slot, u] of Object.entries(variantUses(source, mode, vectorsFile))) s = withSlotUse(s, slot, u);
  return renamedStage(s, variantName(source, mode), `${classifier}, embedding ${source}, ${mode}`);
}

interface EmbeddingRun extends MethodRun {
  /** Share of the vocabulary that got a pre-trained vector. */
  coverage?: number;
}

/** A run's row (finetune-methods' `methodRun`) and the share of the vocabulary its vectors covered. */
function record(classifier: string, variant: string, size: number, seed: number, res: Record<string, unknown> | undefined): EmbeddingRun {
  const cov = (res?.pretrained_embeddings as { coverage?: unknown } | undefined)?.coverage;
  return { ...methodRun(classifier, variant, size, seed, res), ...(typeof cov === 'number' ? { coverage: cov } : {}) };
}

/**
 * The goal the arc's experiments are held to, as a sentence: the best variant that starts from
 * pre-trained vectors at the smallest size against the random embedding fine-tuned (no
 * transfer) at the next size, per classifier; empty without two sizes.
 */
export function goalText(rows: readonly MethodRow[]): string {
  const lines: string[] = [];
  for (const c of [...new Set(rows.filter((r) => r.backbone !== 'baseline').map((r) => r.backbone))]) {
    const of = rows.filter((r) => r.backbone === c);
    const sizes = (of[0]?.bySize ?? []).filter((b) => b.f1.n > 0).map((b) => ({ size: b.size, examples: b.examples })).sort((a, b) => a.examples - b.examples);
    const scratch = of.find((r) => r.method === variantName('random', 'fine-tuned'));
    const transferred = of.filter((r) => !r.method.startsWith('random-'));
    if (sizes.length < 2 || !scratch || transferred.length === 0) continue;
    const [small, large] = [sizes[0]!, sizes[1]!];
    const at = (r: MethodRow, size: number) => r.bySize.find((b) => b.size === size)!.f1;
    const best = transferred.reduce((a, b) => (at(b, small.size).mean > at(a, small.size).mean ? b : a));
    const f = at(best, small.size);
    const goal = at(scratch, large.size);
    lines.push(
      `- ${c}: with ${small.examples} labels the best start from pre-trained vectors (${best.method}) scores ${f.mean.toFixed(3)} ± ${f.std.toFixed(3)}; ` +
        `the random embedding fine-tuned with ${large.examples} labels ${goal.mean.toFixed(3)} ± ${goal.std.toFixed(3)}: ` +
        `${f.mean >= goal.mean ? 'reached' : `not reached (${(f.mean - goal.mean).toFixed(3)})`}.`,
    );
  }
  return lines.length ? `## Against the goal: pre-trained vectors with few labels against no transfer with ten times more\n\n${lines.join('\n')}\n\n` : '';
}

/** Median vocabulary coverage of each source's vectors, as a sentence part. */
function coverageText(runs: readonly EmbeddingRun[]): string {
  const bySource = new Map<string, number[]>();
  for (const r of runs) {
    if (r.coverage === undefined) continue;
    const source = r.method.replace(/-(frozen|fine-tuned)$/, '');
    bySource.set(source, [...(bySource.get(source) ?? []), r.coverage]);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  return [...bySource].map(([s, v]) => `${s} vectors cover ${(100 * med(v)).toFixed(1)}% of the vocabulary`).join('; ');
}

export interface EmbeddingsTransferDeps {
  /** Whether wink's package can be loaded; default: it resolves from Graft's folder. */
  winkInstalled?: () => boolean;
}

/**
 * The experiment: the skip-gram vectors once (`<out>/vectors`, when a variant uses them), then for
 * every size and seed each classifier with each embedding variant (`<out>/runs/<classifier>-<
 * variant>/n<size>-s<seed>`) and the baselines, all scored on the same test split. Writes
 * results.json, results.md and f1-by-embedding.svg; finished runs are reused, so it resumes and grows.
 */
export async function runEmbeddingsTransfer(r: Recipe, o: EmbeddingsTransferOptions, run: ExperimentRunner, runDir: string, deps: EmbeddingsTransferDeps = {}): Promise<Record<string, unknown>> {
  checkEmbeddingsGrid(r, o);
  const notes: string[] = [];
  let sources = o.embeddings as EmbeddingSource[];
  if (sources.includes('wink') && !(deps.winkInstalled ?? (() => npmVectorsInstalled(WINK_PACKAGE)))()) {
    sources = sources.filter((s) => s !== 'wink');
    notes.push(`wink: skipped, the optional package ${WINK_PACKAGE} is not installed (\`npm install ${WINK_PACKAGE}\`, 300 MB, then run the experiment again: it adds the wink rows and reuses the rest).`);
  }
  if (sources.length === 0) throw bad('embeddings', `a source other than wink, or ${WINK_PACKAGE} installed`, o.embeddings);
  let vectorsFile: string | undefined;
  let vectorsMetrics: Record<string, unknown> | undefined;
  if (sources.includes('skip-gram')) {
    const v = await run(VECTORS_STAGE, [toStageSpec(r.stages.find((s) => s.name === VECTORS_STAGE)!, r)]);
    const file = v[VECTORS_STAGE]?.vectors_file;
    if (typeof file !== 'string') throw new GraftError(ErrorCodes.CONFIG, `stage ${VECTORS_STAGE} wrote no vectors file (its result has no vectors_file)`, { hint: 'Keep callback:export-vectors in the vectors stage' });
    vectorsFile = file;
    vectorsMetrics = v[VECTORS_STAGE];
  }
  const classifiers = o.classifiers as Classifier[];
  const variants = sources.flatMap((s) => (o.modes as EmbeddingMode[]).map((m) => [s, m] as const));
  const baselines = cellBaselines(effectiveUses(r.stages.find((s) => s.name === classifiers[0])!).find((u) => u.plugin.meta.kind === 'dataset'));
  // Every run is started before any is awaited (graft sweep runs them at once; graft run one at a time, in this order).
  const cells = o.sizes.flatMap((size) =>
    o.seeds.flatMap((seed) => classifiers.flatMap((c) => variants.map(([s, m]) => run(embeddingCellDir(c, variantName(s, m), size, seed), [toStageSpec(embeddingCellStage(r, c, s, m, size, seed, vectorsFile), r)], seed)))),
  );
  const runs: EmbeddingRun[] = [];
  let cell = 0;
  for (const size of o.sizes) {
    for (const seed of o.seeds) {
      for (const c of classifiers) {
        for (const [s, m] of variants) {
          const res = await cells[cell++]!;
          runs.push(record(c, variantName(s, m), size, seed, res[variantName(s, m)]));
        }
      }
      const base = baselines?.at(size, seed);
      if (base) {
        for (const [name, b] of [['bag-of-words', base.bagOfWords], ['majority', base.majority]] as const) {
          runs.push({ backbone: 'baseline', method: name, size, seed, examples: b.examples, f1: b.f1, accuracy: b.accuracy, collapsed: collapsed(b.confusion), mostlyOneClass: mostlyOneClass(b.confusion) });
        }
      }
    }
  }
  const order = (x: MethodRun) => (x.backbone === 'baseline' ? 1 : 0);
  const sorted = [...runs].sort((a, b) => order(a) - order(b));
  const rows = methodRows(sorted, o.sizes);
  const task = String(effectiveUses(r.stages.find((s) => s.name === classifiers[0])!).find((u) => u.plugin.meta.kind === 'dataset')?.options.source ?? '?');
  const vectors = vectorsMetrics ? { file: vectorsFile, words: vectorsMetrics.vectors_words, validationLoss: (vectorsMetrics.metrics as Record<string, unknown> | undefined)?.validation_loss, seconds: vectorsMetrics.seconds } : undefined;
  writeJsonAtomic(path.join(runDir, 'results.json'), { task, metric: 'test macro-F1 and accuracy; mean and sample std over seeds', vectors, notes, rows, runs });
  const labels = { group: 'classifier', variant: 'embedding' };
  const coverage = coverageText(runs);
  const paired = pairedTable(runs, o.sizes);
  const md =
    `# Word embeddings: random or pre-trained, frozen or fine-tuned (${task})\n\n` +
    `Test macro-F1 on the same ${task} test split; mean ± sample standard deviation over seeds ${o.seeds.join(', ')}. ` +
    `Within a classifier every variant has the same vocabulary (fitted on the task's training split), model, schedule and labelled subsample; only where the word embedding starts, and whether it trains, differ. ` +
    `Rows of words without a pre-trained vector keep their random init.\n\n` +
    (vectors ? `Skip-gram vectors: ${String(vectors.words ?? '?')} words, validation loss ${typeof vectors.validationLoss === 'number' ? vectors.validationLoss.toFixed(3) : '?'}.${coverage ? ` Coverage: ${coverage}.` : ''}\n\n` : coverage ? `Coverage: ${coverage}.\n\n` : '') +
    notes.map((n) => `Note: ${n}\n\n`).join('') +
    goalText(rows) +
    '## Test macro-F1 and cost\n\n' +
    methodsTable(rows, labels) +
    (paired ? '\n## Pre-trained against random, paired by seed\n\nΔ test macro-F1 (pre-trained − random, same mode, same labelled subsample), its 95% interval over seeds (Student\'s t) and the verdict: ahead only when the interval excludes 0.\n\n' + paired : '') +
    '\n## Test accuracy\n\n' +
    methodsAccuracyTable(rows, labels) +
    '\n## Every run\n\n' +
    methodRunsTable(sorted, labels);
  writeFileSync(path.join(runDir, 'results.md'), md);
  writeFileSync(path.join(runDir, 'f1-by-embedding.svg'), methodsPlot(rows, { title: `Test macro-F1 by word embedding (${task})` }));
  return { results: path.join(runDir, 'results.md'), plot: path.join(runDir, 'f1-by-embedding.svg'), table: methodsTable(rows, labels), ...(notes.length ? { notes } : {}) };
}

export const embeddingsTransferExperiment = defineExperiment({
  name: 'embeddings-transfer',
  options: EMBEDDINGS_TRANSFER_OPTIONS,
  validate: checkEmbeddingsGrid,
  run: (r, o, run, dir) => runEmbeddingsTransfer(r, o, run, dir),
});

const CLS = (key: string) => CLASSIFIERS.map((c) => `${c}.${key}`);

export const embeddingsTransferPreset = recipe({
  name: 'embeddings-transfer',
  description: 'Static word vectors as a start: a bag-of-embeddings and an AWD-LSTM classifier with a random, skip-gram or wink (GloVe-derived) embedding, frozen or fine-tuned, at several labelled-set sizes and seeds: table and F1 plot.',
  stages: [wordVectorsStage, bagClassifierStage, awdLstmClassifierStage],
  aliases: {
    'vectors.sources': alias(`${VECTORS_STAGE}.dataset.sources`, 'Corpora the skip-gram vectors learn from (npm:moby-dick, npm:sotu, text files).'),
    'vectors.epochs': `${VECTORS_STAGE}.trainer.epochs`,
    'embedding.dim': alias([`${VECTORS_STAGE}.model.dim`, 'bag.model.dim', 'awd-lstm.model.embSize'], 'Word-vector width, the same in the skip-gram stage and both classifiers (wink\'s vectors are 100-d: other widths cannot use them).'),
    'task.source': alias(CLS('dataset.source'), 'Labelled data every classifier trains and tests on (npm:spam-assassin or a CSV/JSONL file).'),
    'task.maxLen': alias(CLS('dataset.maxLen'), 'Words of each text the classifiers (and the bag-of-words baseline) read.'),
    'task.steps': alias(CLS('trainer.maxSteps'), 'Most optimizer steps of a classifier run.'),
    'vocab.minFreq': alias(CLS('tokenizer.minFreq'), 'Words seen fewer times in the training split become xxunk.'),
    'bag.lr': 'bag.optimizer.lr',
    'bag.hidden': 'bag.head.hidden',
  },
  experiment: embeddingsTransferExperiment,
});
