import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, type ResolvedOptions } from '../../core/index.ts';
import { definePreset, type ExperimentRunner, type StageContext, type StageSpec } from '../runner/Preset.ts';
import { writeJsonAtomic } from '../runner/runPreset.ts';
import { classifierStage, generalLmStage, targetLmStage, type ClassifierVariant } from '../ulmfit-3-stage/ulmfitStages.ts';
import { aggregate, type RunRecord } from './aggregate.ts';
import { TRANSFER_VS_SCRATCH_CONFIG } from './config.ts';
import { f1Plot } from './f1Plot.ts';
import { resultsTable } from './resultsTable.ts';

export type TransferVsScratchConfig = ResolvedOptions<typeof TRANSFER_VS_SCRATCH_CONFIG>;

/** Sub-folder of the language-model stages (1-2), run once. */
export const LM_DIR = 'lm';

/** Sub-folder of one grid cell: both classifiers at a size and a seed. */
export function cellDir(size: number, seed: number): string {
  return path.join('runs', `n${size}-s${seed}`);
}

/** The grid: sizes and seeds non-empty lists of distinct integers >= 0 (seeds 32-bit, as the run seed). */
export function checkGrid(c: TransferVsScratchConfig): void {
  const max = { sizes: Number.MAX_SAFE_INTEGER, seeds: 0xffffffff };
  for (const key of ['sizes', 'seeds'] as const) {
    const v = c[key];
    if (v.length === 0 || v.some((x) => !Number.isSafeInteger(x) || x < 0 || x > max[key]) || new Set(v).size !== v.length) {
      throw new GraftError(ErrorCodes.CONFIG, 'invalid value', { option: key, expected: `a non-empty list of distinct integers from 0 to ${max[key]}`, received: v });
    }
  }
}

/** The two classifiers of a cell, reading the vocabulary and encoder from `lmRunDir`. */
export function cellStages(c: TransferVsScratchConfig, size: number, seed: number, lmRunDir: (ctx: StageContext) => string): StageSpec[] {
  const common: ClassifierVariant = {
    trainSize: size,
    subsampleSeed: seed,
    checkpointOf: (stage, ctx) => path.join(lmRunDir(ctx), stage, 'checkpoint'),
  };
  return [classifierStage(c, 'scratch', common), classifierStage(c, 'transfer', { ...common, encoderFrom: 'target-lm' })];
}

function record(variant: RunRecord['variant'], size: number, seed: number, result: Record<string, unknown> | undefined): RunRecord {
  const num = (k: string) => {
    const v = result?.[k];
    if (typeof v !== 'number') throw new GraftError(ErrorCodes.CONFIG, `the ${variant} run at size ${size}, seed ${seed} has no ${k} in its result.json`);
    return v;
  };
  return { variant, size, seed, examples: num('train_examples'), f1: num('test_f1'), accuracy: num('test_accuracy') };
}

/**
 * The experiment: stages 1-2 once (in `<out>/lm`), then at every size and seed the classifier from
 * scratch and from the stage-2 encoder (in `<out>/runs/n<size>-s<seed>/{scratch,transfer}`), all
 * evaluated on the same test split. Writes `results.json`, `results.md` and `f1-vs-size.svg`.
 * Finished runs are skipped on a re-run, so an interrupted experiment resumes where it stopped.
 */
export async function runTransferVsScratch(c: TransferVsScratchConfig, run: ExperimentRunner, runDir: string): Promise<Record<string, unknown>> {
  checkGrid(c);
  const lm = await run(LM_DIR, [generalLmStage(c), targetLmStage(c)]);
  const lmDir = path.join(runDir, LM_DIR);
  const runs: RunRecord[] = [];
  for (const size of c.sizes) {
    for (const seed of c.seeds) {
      const res = await run(cellDir(size, seed), cellStages(c, size, seed, () => lmDir), seed);
      runs.push(record('scratch', size, seed, res.scratch), record('transfer', size, seed, res.transfer));
    }
  }
  const rows = aggregate(runs);
  const perplexity = (stage: string) => (lm[stage]?.metrics as Record<string, number> | undefined)?.validation_perplexity;
  const summary = {
    task: c['task.source'],
    metric: 'test macro-F1 and accuracy; mean and sample std over seeds; difference paired by seed',
    languageModel: { generalPerplexity: perplexity('general-lm'), targetPerplexity: perplexity('target-lm') },
    rows,
    runs,
  };
  writeJsonAtomic(path.join(runDir, 'results.json'), summary);
  const ppl = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(1));
  const md =
    `# Transfer versus scratch: ${c['task.source']}\n\n` +
    `Test macro-F1 and accuracy on the same ${c['task.source']} test split; mean ± sample standard deviation over seeds ` +
    `${c.seeds.join(', ')}; Δ is transfer − scratch paired by seed (same labelled subsample).\n` +
    `Language model validation perplexity: general ${ppl(summary.languageModel.generalPerplexity)}, ` +
    `target domain ${ppl(summary.languageModel.targetPerplexity)}.\n\n` +
    resultsTable(rows);
  writeFileSync(path.join(runDir, 'results.md'), md);
  writeFileSync(path.join(runDir, 'f1-vs-size.svg'), f1Plot(rows, runs, { title: `Test macro-F1 against labelled examples (${c['task.source']})` }));
  return { results: path.join(runDir, 'results.md'), plot: path.join(runDir, 'f1-vs-size.svg'), table: resultsTable(rows) };
}

export const transferVsScratchPreset = definePreset({
  name: 'transfer-vs-scratch',
  description: 'ULMFiT transfer against training from scratch at several labelled-set sizes and seeds: table and F1 plot.',
  config: TRANSFER_VS_SCRATCH_CONFIG,
  // One cell of the grid (the first size and seed), for `graft describe`.
  stages: (c) => [generalLmStage(c), targetLmStage(c), ...cellStages(c, c.sizes[0] ?? 0, c.seeds[0] ?? 1, (ctx) => ctx.runDir)],
  validate: checkGrid,
  experiment: runTransferVsScratch,
});
