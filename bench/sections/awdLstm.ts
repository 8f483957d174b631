import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, silentLogger } from '../../core/index.ts';
import { AdamwOptimizer, AwdLstmModel, LmHead, NextTokenObjective } from '../../plugins/index.ts';
import { REFERENCE_CONFIG } from '../config.ts';
import { lstmFlopsPerToken } from '../lib/lstmFlopsPerToken.ts';
import type { BenchBackend } from '../lib/parseArgs.ts';
import type { Budget } from '../lib/budget.ts';
import { median } from '../lib/stats.ts';
import { graftSteps, useBackend } from '../measure.ts';
import { MarkovDataset } from '../plugins/MarkovDataset.ts';
import { StepProbe } from '../plugins/StepProbe.ts';
import { timedSteps, type StepPlan } from './gptThroughput.ts';

/** ULMFiT language-model batches: bptt 70 (the AWD-LSTM paper's), 16 sequences. */
const BATCH = 16;
const BPTT = 70;

export type AwdLstmResult =
  | {
      status: 'measured';
      backend: BenchBackend;
      model: string;
      options: Record<string, unknown>;
      params: number;
      batch: number;
      bptt: number;
      warmupSteps: number;
      timedSteps: number;
      stepMs: number;
      tokensPerS: number;
      gflopsPerS: number;
      losses: number[];
      leakedTensors: number;
    }
  | { status: 'skipped'; reason: string };

/**
 * (c) `model:awd-lstm` at its default size (with its default dropouts and AR/TAR) under a tied
 * `head:lm`, next-token objective and AdamW, on the reference's Markov data. If it does not build
 * or train, the section is skipped with the error as reason.
 */
export async function awdLstmThroughput(backend: BenchBackend, plan: StepPlan, budget: Budget): Promise<AwdLstmResult> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  let trainer: ReturnType<typeof createTrainer> | undefined;
  try {
    const model = new AwdLstmModel({ vocabSize: REFERENCE_CONFIG.vocab });
    const probe = new StepProbe({ maxLosses: 5 });
    trainer = createTrainer({
      plugins: [
        new MarkovDataset({ batchSize: BATCH, contextLength: BPTT, vocab: REFERENCE_CONFIG.vocab }),
        model,
        new LmHead({ tied: true }),
        new NextTokenObjective(),
        new AdamwOptimizer({ ...REFERENCE_CONFIG.adam }),
        probe,
      ],
      options: { seed: 0, epochs: 1 },
      logger: silentLogger(),
    });
    await trainer.setup();
    const timed = await timedSteps((n) => graftSteps(trainer!, probe, n), plan, budget);
    const steps = timed.wall.length;
    const stepMs = median(timed.wall);
    const o = model.options as { embSize: number; hiddenSize: number; nLayers: number };
    const hidden = Array.from({ length: o.nLayers }, (_, i) => (i === o.nLayers - 1 ? o.embSize : o.hiddenSize));
    const flops = lstmFlopsPerToken({ vocab: REFERENCE_CONFIG.vocab, embSize: o.embSize, hiddenSizes: hidden });
    const params = trainer.params.count();
    trainer.dispose();
    trainer = undefined;
    return {
      status: 'measured',
      backend,
      model: `AWD-LSTM ${o.nLayers} layers, embedding ${o.embSize}, hidden ${o.hiddenSize}, tied head, vocab ${REFERENCE_CONFIG.vocab}`,
      options: { ...model.options },
      params,
      batch: BATCH,
      bptt: BPTT,
      warmupSteps: plan.warmup,
      timedSteps: steps,
      stepMs,
      tokensPerS: (BATCH * BPTT * 1000) / stepMs,
      gflopsPerS: (flops * BATCH * BPTT) / stepMs / 1e6,
      losses: probe.losses.slice(0, 5),
      leakedTensors: tf.memory().numTensors - before,
    };
  } catch (err) {
    return { status: 'skipped', reason: `model:awd-lstm did not train: ${firstLine(err)}` };
  } finally {
    trainer?.dispose();
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 300);
}
