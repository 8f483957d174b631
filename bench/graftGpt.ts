import { createTrainer, silentLogger, type GraftPlugin, type Trainer } from '../core/index.ts';
import { AdamwOptimizer, GptModel, LmHead, NextTokenObjective } from '../plugins/index.ts';
import type { GptBenchConfig } from './config.ts';
import { MarkovDataset } from './plugins/MarkovDataset.ts';
import { ReferenceWeightsInit } from './plugins/ReferenceWeightsInit.ts';

/**
 * Graft's trainer for the bench GPT: the plugins of `gpt-next-token-pretrain`'s training step
 * (`model:gpt`, tied `head:lm`, `objective:next-token`, `optimizer:adamw`) on the reference's
 * Markov data and initial weights, with no dropout, clipping or schedule (the reference has none),
 * plus `extra` plugins (probes, no-op callbacks).
 */
export function graftGptTrainer(c: GptBenchConfig, extra: GraftPlugin[] = [], maxSteps = 0): Trainer {
  const plugins: GraftPlugin[] = [
    new MarkovDataset({ batchSize: c.batchSize, contextLength: c.contextLength, vocab: c.vocab }),
    new GptModel({ vocabSize: c.vocab, contextLength: c.contextLength, nLayers: c.nLayers, nHeads: c.nHeads, dModel: c.dModel, dropout: 0, activationCheckpointing: c.checkpoint ?? false }),
    new LmHead({ tied: true }),
    new NextTokenObjective(),
    new AdamwOptimizer({ ...c.adam }),
    new ReferenceWeightsInit({ decayEmbeddings: true }),
    ...extra,
  ];
  return createTrainer({ plugins, options: { seed: 0, epochs: 1, maxSteps }, logger: silentLogger() });
}
