/**
 * `activationCheckpointing` on wasm (graft's kernels, threads as the machine's default): the
 * recomputed blocks give the same training run, to the bit, as kept activations.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { selectBackend } from '../../../core/backend/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset } from '../../helpers/toy.ts';

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});

class Losses implements GraftPlugin {
  readonly meta = { name: 'callback:losses', kind: 'callback' } as const;
  losses: number[] = [];
  apply(t: TrainerApi): void {
    t.tap('afterStep', this, (ctx) => void this.losses.push(ctx.loss!.dataSync()[0]!));
  }
}

async function train(activationCheckpointing: boolean): Promise<{ losses: number[]; params: Record<string, number[]> }> {
  const probe = new Losses();
  const trainer = createTrainer({
    plugins: [
      new GptModel({ vocabSize: 17, contextLength: 16, nLayers: 2, nHeads: 2, dModel: 32, dropout: 0.1, activationCheckpointing }),
      new LmHead(),
      new NextTokenObjective(),
      new AdamwOptimizer({ lr: 0.01 }),
      new ToyDataset({ vocab: 17, seqLen: 16, batchSize: 8, batches: 4 }),
      probe,
    ],
    options: { seed: 5, epochs: 1 },
    logger: silentLogger(),
  });
  await trainer.fit();
  const params: Record<string, number[]> = {};
  for (const name of trainer.params.names({ role: 'param' })) params[name] = Array.from(trainer.params.get(name).dataSync());
  trainer.dispose();
  return { losses: probe.losses, params };
}

test('wasm: the same losses and weights with and without activation checkpointing', async (t) => {
  t.is(tf.getBackend(), 'wasm');
  const plain = await train(false);
  const ckpt = await train(true);
  t.is(plain.losses.length, 4);
  t.deepEqual(ckpt.losses, plain.losses);
  t.deepEqual(ckpt.params, plain.params);
});
