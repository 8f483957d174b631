import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';
import { EarlyStoppingCallback } from '../../plugins/callbacks/index.ts';
import { choice, defineExperiment, emptySlot, recipe, toStageSpec, use, type Recipe } from '../recipe/index.ts';
import { effectiveUses } from '../recipe/stage.ts';
import { checkSizesAndSeeds, resultNumber } from '../recipe/experiment.ts';
import { renamedStage, resolveStageHandOvers, withoutKinds, withStageOptions } from '../recipe/stageEdit.ts';
import type { ExperimentRunner } from '../runner/Preset.ts';
import { writeJsonAtomic } from '../runner/runPreset.ts';
import { classifierStage, generalLmStage, targetLmStage, ULMFIT_ALIASES } from '../ulmfit-3-stage/ulmfitPreset.ts';
import { cellBaselines } from '../baselines/cellBaselines.ts';
import type { BaselineScores } from '../baselines/bagOfWordsBaseline.ts';
import { aggregate, type RunRecord } from './aggregate.ts';
import { f1Plot } from './f1Plot.ts';
import { accuracyTable, perSeedTable, resultsTable } from './resultsTable.ts';
import { collapsed, mostlyOneClass, testSetBaseline } from './testSetBaseline.ts';

/** Sub-folder of the language-model stages (1-2), run once. */
export const LM_DIR = 'lm';

/** The recipe's stage every cell trains twice; the stages before it are the language model. */
export const CLASSIFIER_STAGE = 'classifier';

/** What transfer adds to a classifier: removed for the scratch baseline (a random encoder has nothing to load or protect). */
export const TRANSFER_KINDS = ['init', 'lr-groups', 'freezing'];

/** Sub-folder of one grid cell: both classifiers at a size and a seed. */
export function cellDir(size: number, seed: number): string {
  return path.join('runs', `n${size}-s${seed}`);
}

export const TRANSFER_VS_SCRATCH_OPTIONS = {
  sizes: { type: 'number[]', default: [50, 100, 300, 1000, 0], doc: 'Labelled training-set sizes (stratified, nested; 0: the whole training split).' },
  seeds: { type: 'number[]', default: [1, 2, 3], doc: 'Seeds: each picks the labelled subsample and seeds both runs (weights, order, dropout).' },
} as const satisfies OptionSchema;

export type TransferVsScratchOptions = ResolvedOptions<typeof TRANSFER_VS_SCRATCH_OPTIONS>;

/** The grid: sizes and seeds non-empty lists of distinct integers >= 0 (seeds 32-bit, as the run seed); the recipe has the classifier stage. */
export function checkGrid(r: Recipe, o: TransferVsScratchOptions): void {
  checkSizesAndSeeds(o);
  if (!r.stages.some((s) => s.name === CLASSIFIER_STAGE)) {
    throw new GraftError(ErrorCodes.CONFIG, `recipe ${r.name} has no stage "${CLASSIFIER_STAGE}" for the experiment to train`, { expected: `stages ending with "${CLASSIFIER_STAGE}"` });
  }
}

/**
 * The two classifiers of a cell, from the recipe's classifier stage: the labelled subsample set
 * (size, seed), hand-overs pointed at the language model's folders (`lmCheckpoints`); `transfer`
 * as the recipe has it, `scratch` without what transfer adds (`TRANSFER_KINDS`). Both use stage
 * 2's vocabulary and otherwise the same plugins and options.
 */
export function cellStages(r: Recipe, size: number, seed: number, lmCheckpoints: Readonly<Record<string, string>>) {
  const cls = resolveStageHandOvers(r.stages.find((s) => s.name === CLASSIFIER_STAGE)!, lmCheckpoints);
  // The validation set is as scarce as the training set: at 100 labels, 100 more for model choice.
  const cell = withStageOptions(cls, { 'dataset.trainSize': size, 'dataset.validationSize': size, 'dataset.subsampleSeed': seed });
  return [
    renamedStage(withoutKinds(cell, TRANSFER_KINDS.filter((k) => cell.uses.some((u) => u.plugin.meta.kind === k))), 'scratch', 'classifier trained from scratch'),
    renamedStage(cell, 'transfer'),
  ];
}

function record(variant: RunRecord['variant'], size: number, seed: number, result: Record<string, unknown> | undefined): RunRecord {
  const num = (k: string) => resultNumber(result, k, `${variant} run at size ${size}, seed ${seed}`);
  const confusion = result?.confusion as number[][] | undefined;
  return {
    variant,
    size,
    seed,
    examples: num('train_examples'),
    f1: num('test_f1'),
    accuracy: num('test_accuracy'),
    ...(Array.isArray(confusion) ? { collapsed: collapsed(confusion), mostlyOneClass: mostlyOneClass(confusion) } : {}),
    ...chosen(result),
  };
}

/** The step whose parameters were tested and the steps trained, when the run chose its best evaluation. */
function chosen(result: Record<string, unknown> | undefined): Pick<RunRecord, 'chosenStep' | 'steps'> {
  const es = result?.early_stopping as { bestStep?: unknown; restored?: unknown } | undefined;
  if (!es?.restored || typeof es.bestStep !== 'number' || typeof result?.steps !== 'number') return {};
  return { chosenStep: es.bestStep, steps: result.steps };
}

function baselineRecord(variant: 'bag-of-words' | 'majority', size: number, seed: number, b: BaselineScores): RunRecord {
  return { variant, size, seed, examples: b.examples, f1: b.f1, accuracy: b.accuracy, collapsed: collapsed(b.confusion), mostlyOneClass: mostlyOneClass(b.confusion) };
}

/** How far into training the chosen parameters were, as a sentence part. */
function medianChosen(runs: readonly RunRecord[]): string {
  const f = runs.filter((x) => x.chosenStep !== undefined && x.steps).map((x) => x.chosenStep! / x.steps!).sort((a, b) => a - b);
  const mid = f.length % 2 ? f[(f.length - 1) / 2]! : (f[f.length / 2 - 1]! + f[f.length / 2]!) / 2;
  const last = runs.filter((x) => x.chosenStep !== undefined && x.chosenStep === x.steps).length;
  return `median chosen step at ${Math.round(mid * 100)}% of a run's steps; ${last} of ${f.length} runs kept their last epoch`;
}

/** The test set's class balance and majority-class scores, from a run's confusion matrix, as a sentence. */
function baselineText(result: Record<string, unknown> | undefined, classNames: readonly string[] | undefined): string {
  const confusion = result?.confusion as number[][] | undefined;
  if (!Array.isArray(confusion)) return '';
  const b = testSetBaseline(confusion);
  const name = (i: number) => classNames?.[i] ?? `class ${i}`;
  const balance = b.classCounts.map((n, i) => `${name(i)} ${((100 * n) / b.total).toFixed(1)}%`).join(', ');
  return (
    `Test set: ${b.total} examples (${balance}). Always predicting the majority class (${name(b.majorityClass)}) ` +
    `scores accuracy ${b.accuracy.toFixed(3)}, macro-F1 ${b.macroF1.toFixed(3)}: a run at that level learned nothing.\n`
  );
}

/**
 * The experiment: the stages before the classifier once (in `<out>/lm`), then at every size and
 * seed the classifier from scratch and from the stage-2 encoder (in
 * `<out>/runs/n<size>-s<seed>/{scratch,transfer}`), all evaluated on the same test split. Writes
 * `results.json`, `results.md` and `f1-vs-size.svg`. Finished runs are skipped on a re-run, so an
 * interrupted experiment resumes where it stopped.
 */
export async function runTransferVsScratch(r: Recipe, o: TransferVsScratchOptions, run: ExperimentRunner, runDir: string): Promise<Record<string, unknown>> {
  checkGrid(r, o);
  const lmStages = r.stages.slice(0, r.stages.findIndex((s) => s.name === CLASSIFIER_STAGE));
  const lm = await run(LM_DIR, lmStages.map((s) => toStageSpec(s, r)));
  const lmCheckpoints = Object.fromEntries(lmStages.map((s) => [s.name, path.join(runDir, LM_DIR, s.name, 'checkpoint')]));
  const runs: RunRecord[] = [];
  let anyResult: Record<string, unknown> | undefined;
  const baselines = cellBaselines(effectiveUses(r.stages.find((s) => s.name === CLASSIFIER_STAGE)!).find((u) => u.plugin.meta.kind === 'dataset'));
  // Every cell is started before any is awaited: cells are independent, so a runner that can run them
  // at once (graft sweep) does; graft run's runner takes them one at a time in this order.
  const cells = o.sizes.flatMap((size) => o.seeds.map((seed) => run(cellDir(size, seed), cellStages(r, size, seed, lmCheckpoints).map((s) => toStageSpec(s, r)), seed)));
  let cell = 0;
  for (const size of o.sizes) {
    for (const seed of o.seeds) {
      const res = await cells[cell++]!;
      const scratch = record('scratch', size, seed, res.scratch);
      runs.push(scratch, record('transfer', size, seed, res.transfer));
      const b = baselines?.at(size, seed);
      if (b) {
        if (b.bagOfWords.examples !== scratch.examples) {
          throw new GraftError(ErrorCodes.INTERNAL, `the baselines at size ${size}, seed ${seed} took ${b.bagOfWords.examples} examples, the classifiers ${scratch.examples}`);
        }
        runs.push(baselineRecord('bag-of-words', size, seed, b.bagOfWords), baselineRecord('majority', size, seed, b.majority));
      }
      anyResult ??= res.transfer;
    }
  }
  const task = String(r.stages.find((s) => s.name === CLASSIFIER_STAGE)!.uses.find((u) => u.plugin.meta.kind === 'dataset')?.options.source ?? '?');
  const rows = aggregate(runs);
  const perplexity = (stage: string) => (lm[stage]?.metrics as Record<string, number> | undefined)?.validation_perplexity;
  const summary = {
    task,
    metric: 'test macro-F1 and accuracy; mean and sample std over seeds; difference paired by seed',
    languageModel: { generalPerplexity: perplexity('general-lm'), targetPerplexity: perplexity('target-lm') },
    testSet: anyResult && Array.isArray(anyResult.confusion) ? testSetBaseline(anyResult.confusion as number[][]) : undefined,
    rows,
    runs,
  };
  writeJsonAtomic(path.join(runDir, 'results.json'), summary);
  const ppl = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(1));
  const md =
    `# Transfer versus scratch: ${task}\n\n` +
    `Test macro-F1 and accuracy on the same ${task} test split; mean ± sample standard deviation over seeds ` +
    `${o.seeds.join(', ')}; Δ is transfer − scratch paired by seed (same labelled subsample); a variant is ahead only when ` +
    `the 95% interval of Δ over seeds excludes 0 (Student's t), otherwise the gap is within the run-to-run noise.\n` +
    (runs.some((x) => x.chosenStep !== undefined)
      ? `Model choice: each classifier is evaluated on a stratified validation subsample as large as its training set (all of the validation split at "all") after every epoch, and the parameters of the epoch with the best validation macro-F1 are the ones tested (${medianChosen(runs)}).\n`
      : '') +
    (baselines
      ? `Baselines on the same subsamples and test split: the training labels' majority class, and a bag-of-words logistic regression (binary features of the first ${baselines.maxLen} words, L2, deterministic).\n`
      : 'No baselines: the classifier does not read dataset:labelled-text.\n') +
    `Language model validation perplexity: general ${ppl(summary.languageModel.generalPerplexity)}, ` +
    `target domain ${ppl(summary.languageModel.targetPerplexity)}.\n` +
    baselineText(anyResult, anyResult?.class_names as string[] | undefined) +
    '\n## Test macro-F1\n\n' +
    resultsTable(rows) +
    '\n## Test accuracy\n\n' +
    accuracyTable(rows) +
    '\n## Every run (F1 / accuracy; **one class**: the run predicted a single class for the whole test set; *mostly one class*: for at least 95% of it)\n\n' +
    perSeedTable(rows, runs);
  writeFileSync(path.join(runDir, 'results.md'), md);
  writeFileSync(path.join(runDir, 'f1-vs-size.svg'), f1Plot(rows, runs, { title: `Test macro-F1 against labelled examples (${task})` }));
  return { results: path.join(runDir, 'results.md'), plot: path.join(runDir, 'f1-vs-size.svg'), table: resultsTable(rows) };
}

export const transferVsScratchExperiment = defineExperiment({
  name: 'transfer-vs-scratch',
  options: TRANSFER_VS_SCRATCH_OPTIONS,
  validate: checkGrid,
  run: runTransferVsScratch,
});

/**
 * Model choice for the experiment's classifiers, off by default (`task.modelChoice`): with
 * `best-validation` each classifier, evaluated on its validation subsample (as large as its
 * training set) after every epoch (`task.validate=true`), tests the parameters of its best
 * validation macro-F1. Patience is long: the stage is short and gradual unfreezing changes what
 * trains each epoch, so it chooses rather than stops. Measured on both labelled sets at 100 and
 * 1,000 labels it did not help (presets/transfer-vs-scratch/README.md), hence the default.
 */
export const MODEL_CHOICE = {
  last: null,
  'best-validation': use(EarlyStoppingCallback, { monitor: 'validation_f1', mode: 'max', patience: 1000, restoreBest: true }),
};

/** ULMFiT's recipe with its keys, run as the experiment. Per-epoch validation is off by default: it costs time and nothing uses it unless `task.modelChoice=best-validation`. */
export const transferVsScratchPreset = recipe({
  name: 'transfer-vs-scratch',
  description: 'ULMFiT transfer against training from scratch at several labelled-set sizes and seeds: table and F1 plot.',
  stages: [generalLmStage, targetLmStage, (() => {
    const s = withStageOptions(classifierStage, { 'evaluate.atEpochEnd': false });
    return { ...s, uses: [...s.uses, emptySlot('model-choice')] };
  })()],
  aliases: {
    ...ULMFIT_ALIASES,
    'task.modelChoice': choice('classifier.model-choice', MODEL_CHOICE, 'Classifiers test their last parameters (last) or those of their best validation macro-F1 (best-validation; needs task.validate=true): callback:early-stopping in slot classifier.model-choice.'),
  },
  experiment: transferVsScratchExperiment,
});
