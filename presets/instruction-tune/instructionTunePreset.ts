import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, silentLogger, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';
import { LoraAdapter } from '../../plugins/adapters/index.ts';
import { EvaluateCallback, GradClipCallback } from '../../plugins/callbacks/index.ts';
import { InstructionsDataset, registerInstructionSet } from '../../plugins/datasets/index.ts';
import { LmHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { WarmupLinearScheduler } from '../../plugins/schedulers/index.ts';
import { ByteBpeTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { GPT_LORA_TARGETS } from '../finetune-methods/finetuneMethods.ts';
import { gptPretrainStage } from '../gpt-next-token-pretrain/gptPretrainPreset.ts';
import { checkpointOf, choice, defineExperiment, emptySlot, recipe, stage, toStageSpec, use, type Recipe } from '../recipe/index.ts';
import { effectiveUses, slotsOf } from '../recipe/stage.ts';
import { isEmptySlot } from '../recipe/use.ts';
import { resolveStageHandOvers, withSlotUse, withStageOptions } from '../recipe/stageEdit.ts';
import type { ExperimentRunner, StageSpec } from '../runner/Preset.ts';
import { writeJsonAtomic } from '../runner/runPreset.ts';
import { createStageTrainer } from '../runner/stageTrainer.ts';
import { buildInstructions, loadInstructionCorpora, writeInstructionSet, type InstructionCorpora } from './buildInstructions.ts';
import { exactMatchByTask, generateAnswers, type Prediction, type TaskScore } from './evaluateInstructions.ts';

let corpora: InstructionCorpora | undefined;
// `source: set:corpora` of dataset:instructions: the corpora are read once per process.
registerInstructionSet('corpora', (o) => buildInstructions((corpora ??= loadInstructionCorpora()), o));

/** The GPT both stages share (the tune stage loads the pre-trained weights into it). */
const MODEL = { contextLength: 128, nLayers: 2, nHeads: 4, dModel: 64, dropout: 0 };

/**
 * Stage `pretrain`: `gpt-next-token-pretrain`'s stage with a byte-level BPE tokenizer (what the
 * chat template is added to), Moby Dick and the State of the Union, a 128-token context.
 */
export const instructionPretrainStage = withStageOptions(
  withSlotUse(gptPretrainStage, 'tokenizer', use(ByteBpeTokenizerPlugin, { vocabSize: 1024, specials: ['pad', 'bos', 'eos'] })),
  {
    'dataset.sources': ['npm:moby-dick', 'npm:sotu'],
    'dataset.maxChars': 2_000_000,
    'dataset.seqLen': MODEL.contextLength,
    'dataset.validationFraction': 0.02,
    'dataset.maxValidationBatches': 8,
    ...Object.fromEntries(Object.entries(MODEL).map(([k, v]) => [`model.${k}`, v])),
    'evaluate.every': 0,
    'checkpoint.every': 0,
    'sample-text.maxTokens': 60,
    'trainer.maxSteps': 300,
  },
);

/** Stage `tune`: the pre-trained GPT fine-tuned on `set:corpora`; the loss on responses only. */
export const instructionTuneStage = stage('tune', 'instruction tuning of the pre-trained GPT (loss on responses only)', [
  use(InstructionsDataset, { source: 'set:corpora', maxLen: MODEL.contextLength, batchSize: 16 }),
  use(ByteBpeTokenizerPlugin, { from: checkpointOf('pretrain') }),
  use(GptModel, MODEL),
  use(LmHead, { tied: true }),
  use(NextTokenObjective),
  use(AdamwOptimizer, { lr: 2e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0.01 }),
  use(WarmupLinearScheduler, { warmupFraction: 0.05, minLrRatio: 0 }),
  // The template's new tokens get the mean embedding row (init:from-checkpoint's vocabulary hand-over).
  use(FromCheckpointInit, { path: checkpointOf('pretrain'), select: 'backbone.**' }),
  emptySlot('method'),
  use(GradClipCallback, { maxNorm: 1 }),
  use(EvaluateCallback, { every: 0, atEpochEnd: false, atEnd: true }),
], { epochs: 1000, maxSteps: 400 });

/** `finetune.method`: everything learns, or LoRA on GPT's matrices plus the token embedding (the template's tokens must learn their rows). */
export const INSTRUCTION_METHODS = {
  full: null,
  lora: use(LoraAdapter, { target: [...GPT_LORA_TARGETS], rank: 8, alpha: 16, dropout: 0, alsoTrain: ['backbone.tokEmbed'] }),
};

export const INSTRUCTION_TUNE_OPTIONS = {
  base: { type: 'string', default: '', doc: "A byte-BPE GPT checkpoint to start from (graft run gpt-next-token-pretrain --set tokenizer.type=byte-bpe --set model.contextLength=128 ...); '' pre-trains one (stage pretrain)." },
  maxNewTokens: { type: 'integer', default: 20, min: 1, doc: 'Evaluation: tokens generated at most per answer (greedy, until end-of-turn).' },
} as const satisfies OptionSchema;

export type InstructionTuneOptions = ResolvedOptions<typeof INSTRUCTION_TUNE_OPTIONS>;

export interface InstructionTuneResults {
  method: string;
  base: string;
  normalization: string;
  tasks: { task: string; trained: boolean; examples: number; before: number; after: number }[];
  before: TaskScore[];
  after: TaskScore[];
  samples: { task: string; prompt: string; reference: string; before: string; after: string }[];
}

/** Exact match of a stage's model on the dataset's test split, greedy; `load` a checkpoint after setup (the tuned model), or not (the warm start: before tuning). */
async function scoreStage(spec: StageSpec, runDir: string, seed: number, maxNewTokens: number, load?: string): Promise<{ predictions: Prediction[]; trained: Set<string>; prompts: string[] }> {
  const trainer = createStageTrainer(spec, { runDir, stageDir: path.join(runDir, spec.name), checkpoints: {}, results: {}, seed }, { logger: silentLogger() });
  try {
    await trainer.setup();
    if (load) await trainer.load(load);
    const ds = trainer.role('dataset') as unknown as InstructionsDataset;
    const test = ds.examples('test');
    const predictions = await generateAnswers(trainer, test, { maxNewTokens });
    return { predictions, trained: new Set(ds.tasks('train')), prompts: test.map((e) => e.messages.filter((m) => m.role !== 'assistant').map((m) => m.content).join('\n')) };
  } finally {
    trainer.dispose();
  }
}

/** results.md: the before/after table and a few answers per task. */
export function resultsMarkdown(r: InstructionTuneResults): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = r.tasks.map((t) => `| ${t.task} | ${t.trained ? 'trained' : 'held out'} | ${t.examples} | ${pct(t.before)} | ${pct(t.after)} |`);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 80);
  const samples = r.samples.map((s) => `| ${s.task} | ${cell(s.prompt)} | ${cell(s.reference)} | ${cell(s.before)} | ${cell(s.after)} |`);
  return (
    `# Instruction tuning: exact match per task (method ${r.method})\n\n` +
    `Greedy answers to the held-out test instructions, compared after ${r.normalization}. ` +
    `Before: the pre-trained model (${r.base}) prompted with the chat template, whose new tokens start as the mean embedding. After: the tuned model.\n\n` +
    '| task | type | examples | before | after |\n|---|---|---:|---:|---:|\n' +
    rows.join('\n') +
    '\n\n## Sample answers\n\n| task | prompt | reference | before | after |\n|---|---|---|---|---|\n' +
    samples.join('\n') +
    '\n'
  );
}

/**
 * The experiment: pre-train (unless `base` names a checkpoint), write the instruction set as JSONL
 * (`<run>/instructions/`, for inspection: the tune stage builds the same set from the same
 * options), tune, then score the test split by generation before and after. Writes results.json
 * and results.md in the run folder.
 */
export async function runInstructionTune(r: Recipe, o: InstructionTuneOptions, run: ExperimentRunner, runDir: string): Promise<Record<string, unknown>> {
  const find = (name: string) => r.stages.find((s) => s.name === name)!;
  let base = o.base;
  if (base === '') {
    await run('', [toStageSpec(find('pretrain'), r)]);
    base = path.join(runDir, 'pretrain', 'checkpoint');
  } else if (!existsSync(base)) {
    throw new GraftError(ErrorCodes.CONFIG, 'no checkpoint folder at base', { option: 'base', file: base, hint: 'Point base at a byte-BPE GPT checkpoint, or leave it empty to pre-train one' });
  }
  const tune = find('tune');
  const uses = effectiveUses(tune);
  const slots = slotsOf(tune);
  const data = uses[slots.indexOf('dataset')]?.options as { source?: string; setOptions?: Record<string, unknown> } | undefined;
  if (data?.source === 'set:corpora') {
    writeInstructionSet(buildInstructions((corpora ??= loadInstructionCorpora()), data.setOptions ?? {}), path.join(runDir, 'instructions'));
  }
  const methodUse = uses[slots.indexOf('method')];
  const method = !methodUse || isEmptySlot(methodUse) ? 'full' : methodUse.plugin.meta.name;
  const spec = toStageSpec(resolveStageHandOvers(tune, { pretrain: base }), r);
  await run('', [spec]);
  const seed = 42;
  const before = await scoreStage(spec, runDir, seed, o.maxNewTokens);
  const after = await scoreStage(spec, runDir, seed, o.maxNewTokens, path.join(runDir, 'tune', 'checkpoint'));
  const b = exactMatchByTask(before.predictions);
  const a = exactMatchByTask(after.predictions);
  const samples: InstructionTuneResults['samples'] = [];
  for (const task of a.map((s) => s.task)) {
    for (const i of after.predictions.flatMap((p, k) => (p.task === task ? [k] : [])).slice(0, 3)) {
      samples.push({ task, prompt: after.prompts[i]!, reference: after.predictions[i]!.reference, before: before.predictions[i]!.prediction, after: after.predictions[i]!.prediction });
    }
  }
  const results: InstructionTuneResults = {
    method,
    base: o.base === '' ? 'stage pretrain' : o.base,
    normalization: 'trimming, collapsing whitespace and lower-casing (punctuation counts)',
    tasks: a.map((s, k) => ({ task: s.task, trained: after.trained.has(s.task), examples: s.examples, before: b[k]!.exactMatch, after: s.exactMatch })),
    before: b,
    after: a,
    samples,
  };
  writeJsonAtomic(path.join(runDir, 'results.json'), results);
  const md = resultsMarkdown(results);
  writeFileSync(path.join(runDir, 'results.md'), md);
  return { results: path.join(runDir, 'results.md'), tasks: results.tasks };
}

export const instructionTuneExperiment = defineExperiment({
  name: 'instruction-tune',
  options: INSTRUCTION_TUNE_OPTIONS,
  run: runInstructionTune,
});

export const instructionTunePreset = recipe({
  name: 'instruction-tune',
  description: 'Pre-train a small byte-BPE GPT, tune it on instructions built from the shipped corpora (loss on responses only; finetune.method full or lora), and score exact match per task by generation before and after.',
  stages: [instructionPretrainStage, instructionTuneStage],
  aliases: {
    'finetune.method': choice('tune.method', INSTRUCTION_METHODS, 'Fine-tuning method: full (everything learns) or lora (LoRA on GPT matrices, plus the token embedding)'),
    'pretrain.steps': 'pretrain.trainer.maxSteps',
    'pretrain.maxChars': 'pretrain.dataset.maxChars',
    'model.contextLength': ['pretrain.model.contextLength', 'pretrain.dataset.seqLen', 'tune.model.contextLength', 'tune.dataset.maxLen'],
    'model.nLayers': ['pretrain.model.nLayers', 'tune.model.nLayers'],
    'model.dModel': ['pretrain.model.dModel', 'tune.model.dModel'],
    'tune.steps': 'tune.trainer.maxSteps',
    'tune.lr': 'tune.optimizer.lr',
    'tune.batchSize': 'tune.dataset.batchSize',
  },
  experiment: instructionTuneExperiment,
});
