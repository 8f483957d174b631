/** Presets: recipes that bundle plugins, runnable from code and from `graft run`. */
import { clip, ErrorCodes, GraftError } from '../core/index.ts';
import { bertMlmPreset } from './bert-mlm-pretrain/bertMlmPreset.ts';
import { finetuneMethodsPreset } from './finetune-methods/finetuneMethodsPreset.ts';
import { gptFinetunePreset } from './gpt-finetune/gptFinetunePreset.ts';
import { gptPretrainPreset } from './gpt-next-token-pretrain/gptPretrainPreset.ts';
import type { Recipe } from './recipe/index.ts';
import type { Preset } from './runner/Preset.ts';
import { transferVsScratchPreset } from './transfer-vs-scratch/transferVsScratchPreset.ts';
import { ulmfitPreset } from './ulmfit-3-stage/ulmfitPreset.ts';
import { wordVectorsPreset } from './word-vectors/wordVectorsPreset.ts';
import { embeddingsTransferPreset } from './embeddings-transfer/embeddingsTransferPreset.ts';
import { instructionTunePreset } from './instruction-tune/instructionTunePreset.ts';

/** The presets `graft run` knows by name: recipes (data), and presets whose stages are still closures. */
export const PRESETS: Record<string, Recipe | Preset> = {
  // The arc's order: pre-training, ULMFiT's transfer and its measure, transformer fine-tuning measured.
  [gptPretrainPreset.name]: gptPretrainPreset,
  [bertMlmPreset.name]: bertMlmPreset,
  [ulmfitPreset.name]: ulmfitPreset,
  [transferVsScratchPreset.name]: transferVsScratchPreset,
  [gptFinetunePreset.name]: gptFinetunePreset,
  [finetuneMethodsPreset.name]: finetuneMethodsPreset,
  [wordVectorsPreset.name]: wordVectorsPreset,
  [embeddingsTransferPreset.name]: embeddingsTransferPreset,
  [instructionTunePreset.name]: instructionTunePreset,
};

export function findPreset(name: string): Recipe | Preset {
  const p = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!p) {
    throw new GraftError(ErrorCodes.CONFIG, `unknown preset "${clip(name)}"`, { expected: `one of ${Object.keys(PRESETS).join(', ')}` });
  }
  return p;
}

export { gptPretrainPreset, gptPretrainStage } from './gpt-next-token-pretrain/gptPretrainPreset.ts';
export { bertMlmPreset, bertMlmStage } from './bert-mlm-pretrain/bertMlmPreset.ts';
export { ulmfitPreset, generalLmStage, targetLmStage, classifierStage, ULMFIT_ALIASES } from './ulmfit-3-stage/ulmfitPreset.ts';
export {
  transferVsScratchPreset,
  transferVsScratchExperiment,
  runTransferVsScratch,
  cellStages,
  cellDir,
  TRANSFER_VS_SCRATCH_OPTIONS,
  TRANSFER_KINDS,
  type TransferVsScratchOptions,
} from './transfer-vs-scratch/transferVsScratchPreset.ts';
export { aggregate, spread, type RunRecord, type SizeRow, type Spread } from './transfer-vs-scratch/aggregate.ts';
export { resultsTable } from './transfer-vs-scratch/resultsTable.ts';
export { testSetBaseline, collapsed, type TestSetBaseline } from './transfer-vs-scratch/testSetBaseline.ts';
export { f1Plot } from './transfer-vs-scratch/f1Plot.ts';
export {
  FINETUNE_METHODS,
  FINETUNE_METHOD_NAMES,
  FINETUNE_METHOD_SLOT,
  GPT_LORA_TARGETS,
  GPT_LAYER_NORMS,
  finetuneMethodChoice,
  type FinetuneMethod,
} from './finetune-methods/finetuneMethods.ts';
export {
  finetuneMethodsPreset,
  finetuneMethodsExperiment,
  runFinetuneMethods,
  methodCellStage,
  methodCellDir,
  checkFinetuneGrid,
  FINETUNE_METHODS_OPTIONS,
  type FinetuneMethodsOptions,
} from './finetune-methods/finetuneMethodsPreset.ts';
export { gptFinetunePreset } from './gpt-finetune/gptFinetunePreset.ts';
export { wordVectorsPreset, wordVectorsStage } from './word-vectors/wordVectorsPreset.ts';
export * from './instruction-tune/index.ts';
export {
  embeddingsTransferPreset,
  embeddingsTransferExperiment,
  runEmbeddingsTransfer,
  embeddingCellStage,
  embeddingCellDir,
  checkEmbeddingsGrid,
  goalText,
  bagClassifierStage,
  awdLstmClassifierStage,
  EMBEDDINGS_TRANSFER_OPTIONS,
  type EmbeddingsTransferOptions,
  type EmbeddingsTransferDeps,
} from './embeddings-transfer/embeddingsTransferPreset.ts';
export { EMBEDDING_SOURCES, EMBEDDING_MODES, WINK_PACKAGE, variantName, variantUses, type EmbeddingSource, type EmbeddingMode } from './embeddings-transfer/embeddingVariants.ts';
export { pairedTable } from './embeddings-transfer/pairedTable.ts';
export { methodRows, methodRun, methodsTable, methodsAccuracyTable, methodRunsTable, type MethodRun, type MethodRow, type RowLabels } from './finetune-methods/methodResults.ts';
export { methodsPlot } from './finetune-methods/methodsPlot.ts';
export { bagOfWordsBaseline, majorityBaseline, cellBaselines, type BaselineScores } from './baselines/index.ts';
export { pairedVerdict, type PairedVerdict, type Verdict } from './transfer-vs-scratch/pairedVerdict.ts';
export { accuracyTable, perSeedTable } from './transfer-vs-scratch/resultsTable.ts';
export { definePreset, type Preset, type StageSpec, type StageContext, type ExperimentRunner } from './runner/Preset.ts';
export { runPreset, runStages, writeJsonAtomic, type RunOptions, type StageOutcome } from './runner/runPreset.ts';
export { resolveConfig, describeConfig } from './runner/resolveConfig.ts';
export { validateRun, validateStages, placeholderContext, type RunValidation, type KeyFor } from './runner/validateRun.ts';
export { createStageTrainer } from './runner/stageTrainer.ts';
export * from './recipe/index.ts';
export { sampleText } from '../plugins/generation/sampleText.ts';
export * from './sweep/index.ts';
