import { clip, ErrorCodes, GraftError, kindOf, type PluginClass } from '../core/index.ts';
import { BottleneckAdapter, LoraAdapter } from './adapters/index.ts';
import { EarlyStoppingCallback, EvaluateCallback, ExportVectorsCallback, GradAccumulation, GradClipCallback, ResourceUsageCallback, SampleTextCallback, TestEvaluationCallback } from './callbacks/index.ts';
import { PeriodicCheckpoint } from './checkpoints/index.ts';
import { InstructionsDataset, LabelledTextDataset, SkipGramDataset, TextCorpusDataset, TokenShardsDataset } from './datasets/index.ts';
import { GradualUnfreezing, ParamFreezing } from './freezing/index.ts';
import { ClassifierHead, LmHead, MlmHead, SequenceClassifierHead } from './heads/index.ts';
import { FromCheckpointInit, PretrainedEmbeddingsInit } from './init/index.ts';
import { ConsoleProgressLogger, JsonlMetricsLogger } from './loggers/index.ts';
import { DiscriminativeLrGroups, LayerwiseDecayLrGroups } from './lr-groups/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric, MaskedAccuracyMetric } from './metrics/index.ts';
import { AwdLstmModel, EmbeddingBagModel, GptModel, SkipGramModel } from './models/index.ts';
import { ClassificationObjective, MaskedLmObjective, NextTokenObjective, SkipGramObjective } from './objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from './optimizers/index.ts';
import { ConstantScheduler, OneCycleScheduler, SlantedTriangularScheduler, WarmupCosineScheduler, WarmupLinearScheduler } from './schedulers/index.ts';
import { ByteBpeTokenizerPlugin, CharTokenizerPlugin, WordTokenizerPlugin } from './tokenizers/index.ts';

/**
 * Every plugin class that ships with Graft. Each declares its metadata and option schema as
 * statics, so `graft list`, `graft describe <kind>:<name>`, the READMEs' option tables and recipes
 * read them without constructing anything.
 */
export const PLUGIN_CLASSES: readonly PluginClass[] = [
  TextCorpusDataset,
  LabelledTextDataset,
  SkipGramDataset,
  InstructionsDataset,
  TokenShardsDataset,
  CharTokenizerPlugin,
  ByteBpeTokenizerPlugin,
  WordTokenizerPlugin,
  GptModel,
  AwdLstmModel,
  SkipGramModel,
  EmbeddingBagModel,
  LmHead,
  MlmHead,
  ClassifierHead,
  SequenceClassifierHead,
  NextTokenObjective,
  MaskedLmObjective,
  ClassificationObjective,
  SkipGramObjective,
  AdamwOptimizer,
  SgdOptimizer,
  ConstantScheduler,
  WarmupCosineScheduler,
  WarmupLinearScheduler,
  OneCycleScheduler,
  SlantedTriangularScheduler,
  DiscriminativeLrGroups,
  LayerwiseDecayLrGroups,
  ParamFreezing,
  GradualUnfreezing,
  FromCheckpointInit,
  PretrainedEmbeddingsInit,
  LoraAdapter,
  BottleneckAdapter,
  GradClipCallback,
  GradAccumulation,
  EvaluateCallback,
  EarlyStoppingCallback,
  SampleTextCallback,
  ExportVectorsCallback,
  TestEvaluationCallback,
  ResourceUsageCallback,
  PeriodicCheckpoint,
  AccuracyMetric,
  F1Metric,
  ConfusionMatrixMetric,
  MaskedAccuracyMetric,
  ConsoleProgressLogger,
  JsonlMetricsLogger,
];

export interface CatalogEntry {
  name: string;
  kind: string;
  description: string;
}

/** Name, kind and description of every built-in plugin, sorted by name (`graft list`). */
export function pluginCatalog(): CatalogEntry[] {
  return PLUGIN_CLASSES.map(({ meta }) => ({ name: meta.name, kind: meta.kind, description: meta.description ?? '' })).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
}

/**
 * The built-in plugin class named `name` (`"scheduler:warmup-cosine"`). An unknown name is a
 * CONFIG error naming it and listing the known plugins of its kind (or the known kinds).
 */
export function findPluginClass(name: string): PluginClass {
  const found = PLUGIN_CLASSES.find((c) => c.meta.name === name);
  if (found) return found;
  const kind = kindOf(name);
  const sameKind = PLUGIN_CLASSES.filter((c) => c.meta.kind === kind).map((c) => c.meta.name).sort();
  const kinds = [...new Set(PLUGIN_CLASSES.map((c) => c.meta.kind))].sort();
  // "adamw" or "optimizers:adamw" for "optimizer:adamw": the same short name under another kind.
  const short = name.slice(name.indexOf(':') + 1);
  const near = PLUGIN_CLASSES.map((c) => c.meta.name).filter((n) => n.slice(n.indexOf(':') + 1) === short);
  throw new GraftError(ErrorCodes.CONFIG, `unknown plugin "${clip(name)}"`, {
    expected: sameKind.length ? `one of ${sameKind.join(', ')}` : `"<kind>:<name>" with a kind among ${kinds.join(', ')}`,
    hint: near.length ? `Did you mean ${near.join(' or ')}?` : sameKind.length ? undefined : '`graft list` prints every plugin',
  });
}
