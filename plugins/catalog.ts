import type { GraftPlugin } from '../core/index.ts';
import { BottleneckAdapter, LoraAdapter } from './adapters/index.ts';
import { EarlyStoppingCallback, EvaluateCallback, GradAccumulation, GradClipCallback } from './callbacks/index.ts';
import { PeriodicCheckpoint } from './checkpoints/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from './datasets/index.ts';
import { GradualUnfreezing, ParamFreezing } from './freezing/index.ts';
import { ClassifierHead, LmHead } from './heads/index.ts';
import { FromCheckpointInit, PretrainedEmbeddingsInit } from './init/index.ts';
import { ConsoleProgressLogger, JsonlMetricsLogger } from './loggers/index.ts';
import { DiscriminativeLrGroups } from './lr-groups/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric } from './metrics/index.ts';
import { AwdLstmModel, GptModel } from './models/index.ts';
import { ClassificationObjective, MaskedLmObjective, NextTokenObjective } from './objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from './optimizers/index.ts';
import { ConstantScheduler, OneCycleScheduler, SlantedTriangularScheduler, WarmupCosineScheduler, WarmupLinearScheduler } from './schedulers/index.ts';
import { ByteBpeTokenizerPlugin, CharTokenizerPlugin, WordTokenizerPlugin } from './tokenizers/index.ts';

/**
 * Every plugin that ships with Graft, as a factory with example options (constructing a plugin
 * allocates nothing). `graft list` prints their names and descriptions from their own metadata.
 */
const FACTORIES: (() => GraftPlugin)[] = [
  () => new TextCorpusDataset({ sources: ['npm:moby-dick'] }),
  () => new LabelledTextDataset({ source: 'npm:spam-assassin' }),
  () => new CharTokenizerPlugin(),
  () => new ByteBpeTokenizerPlugin(),
  () => new WordTokenizerPlugin(),
  () => new GptModel(),
  () => new AwdLstmModel(),
  () => new LmHead(),
  () => new ClassifierHead(),
  () => new NextTokenObjective(),
  () => new MaskedLmObjective(),
  () => new ClassificationObjective(),
  () => new AdamwOptimizer(),
  () => new SgdOptimizer(),
  () => new ConstantScheduler(),
  () => new WarmupCosineScheduler(),
  () => new WarmupLinearScheduler(),
  () => new OneCycleScheduler(),
  () => new SlantedTriangularScheduler(),
  () => new DiscriminativeLrGroups(),
  () => new ParamFreezing({ pattern: 'backbone.**' }),
  () => new GradualUnfreezing(),
  () => new FromCheckpointInit({ path: 'CHECKPOINT' }),
  () => new PretrainedEmbeddingsInit({ source: 'vectors.txt' }),
  () => new LoraAdapter(),
  () => new BottleneckAdapter(),
  () => new GradClipCallback(),
  () => new GradAccumulation({ steps: 4 }),
  () => new EvaluateCallback(),
  () => new EarlyStoppingCallback(),
  () => new PeriodicCheckpoint(),
  () => new AccuracyMetric(),
  () => new F1Metric(),
  () => new ConfusionMatrixMetric(),
  () => new ConsoleProgressLogger(),
  () => new JsonlMetricsLogger(),
];

export interface CatalogEntry {
  name: string;
  kind: string;
  description: string;
}

export function pluginCatalog(): CatalogEntry[] {
  return FACTORIES.map((make) => {
    const p = make();
    return { name: p.meta.name, kind: p.meta.kind, description: p.meta.description ?? '' };
  }).sort((a, b) => a.name.localeCompare(b.name));
}
