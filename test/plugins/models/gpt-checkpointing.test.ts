/**
 * model:gpt's `activationCheckpointing` (core/nn/checkpoint.ts): the same training run, to the bit,
 * with the blocks' activations recomputed in the backward pass; less memory held between the
 * forward and backward passes; nothing leaked; a block that cannot be replayed is an error.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, ErrorCodes, Rng, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { GptModel, type GptOptions } from '../../../plugins/models/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 13;

/** Records each step's loss and the bytes alive when the loss is known (forward done, backward not yet). */
class Probe implements GraftPlugin {
  readonly meta = { name: 'callback:probe', kind: 'callback' } as const;
  losses: number[] = [];
  bytesAtLoss: number[] = [];
  tensorsAfterStep: number[] = [];
  apply(t: TrainerApi): void {
    t.tap('onLoss', this, (loss) => {
      this.bytesAtLoss.push(tf.memory().numBytes);
      return loss;
    });
    t.tap('afterStep', this, (ctx) => {
      this.losses.push(ctx.loss!.dataSync()[0]!);
      this.tensorsAfterStep.push(tf.memory().numTensors);
    });
  }
}

/** Variable lengths on every batch, so the padding mask is made inside each forward pass. */
class Lengths implements GraftPlugin {
  readonly meta = { name: 'callback:lengths', kind: 'callback' } as const;
  apply(t: TrainerApi): void {
    t.tap('transformBatch', this, (batch) => {
      const B = batch.inputs!.shape[0]!;
      const T = batch.inputs!.shape[1]!;
      return { ...batch, lengths: tf.tensor1d(Array.from({ length: B }, (_, i) => T - (i % 3)), 'int32') };
    });
  }
}

async function train(opts: GptOptions, extra: GraftPlugin[] = []): Promise<{ probe: Probe; params: Record<string, number[]> }> {
  const probe = new Probe();
  const trainer = createTrainer({
    plugins: [
      new GptModel({ vocabSize: V, contextLength: 12, nLayers: 3, nHeads: 2, dModel: 16, dropout: 0.2, ...opts }),
      new LmHead(),
      new NextTokenObjective(),
      new AdamwOptimizer({ lr: 0.01 }),
      new ToyDataset({ vocab: V, seqLen: 12, batchSize: 4, batches: 5 }),
      probe,
      ...extra,
    ],
    options: { seed: 3, epochs: 1 },
    logger: silentLogger(),
  });
  await trainer.fit();
  const params: Record<string, number[]> = {};
  for (const name of trainer.params.names({ role: 'param' })) params[name] = Array.from(trainer.params.get(name).dataSync());
  trainer.dispose();
  return { probe, params };
}

test('the same losses and weights, to the bit, with dropout (replayed) in every block', async (t) => {
  const plain = await train({});
  const ckpt = await train({ activationCheckpointing: true });
  t.is(plain.probe.losses.length, 5);
  t.deepEqual(ckpt.probe.losses, plain.probe.losses);
  t.deepEqual(ckpt.params, plain.params);
  // Training moved the weights (a run that changed nothing would also compare equal).
  t.true(plain.probe.losses[4]! < plain.probe.losses[0]!);
});

test('the same with a padding mask made in each forward pass (bidirectional, lengths)', async (t) => {
  const plain = await train({ causal: false }, [new Lengths()]);
  const ckpt = await train({ causal: false, activationCheckpointing: true }, [new Lengths()]);
  t.deepEqual(ckpt.probe.losses, plain.probe.losses);
  t.deepEqual(ckpt.params, plain.params);
});

// Serial (this and the next): they read global memory figures, and trainers fitting at once interleave.
test.serial('less memory held from the forward to the backward pass, and it grows slower with depth', async (t) => {
  const held = async (nLayers: number, activationCheckpointing: boolean) => {
    const { probe } = await train({ nLayers, activationCheckpointing });
    return probe.bytesAtLoss[2]!;
  };
  const [p2, p6, c2, c6] = [await held(2, false), await held(6, false), await held(2, true), await held(6, true)];
  t.true(c2 < p2, `2 layers: ${c2} bytes with checkpointing, ${p2} without`);
  t.true(c6 < p6, `6 layers: ${c6} with, ${p6} without`);
  // Four more blocks add their weights either way; without checkpointing also all their activations.
  const perBlockPlain = (p6 - p2) / 4;
  const perBlockCkpt = (c6 - c2) / 4;
  t.true(perBlockCkpt < perBlockPlain / 2, `bytes a block adds: ${perBlockCkpt} with checkpointing, ${perBlockPlain} without`);
});

test.serial('nothing leaks: the tensor count is the same after every step', async (t) => {
  const { probe } = await train({ activationCheckpointing: true }, [new Lengths()]);
  t.is(new Set(probe.tensorsAfterStep.slice(1)).size, 1, `tensors after each step: ${probe.tensorsAfterStep.join(', ')}`);
});

test('a block drawing random numbers from its own generator is an error naming the block and the option', async (t) => {
  class OwnNoise implements GraftPlugin {
    readonly meta = { name: 'callback:own-noise', kind: 'callback' } as const;
    private readonly rng = new Rng(7);
    apply(tr: TrainerApi): void {
      tr.interceptOutput(this.meta.name, 'backbone.blocks.*.mlp', (x, info) => (info.training ? tf.add(x, this.rng.next()) : x));
    }
  }
  const err = await t.throwsAsync(train({ activationCheckpointing: true }, [new OwnNoise()]));
  t.is((err as { code?: string }).code, ErrorCodes.BAD_OPTION);
  t.regex(err!.message, /backbone\.blocks\.2.*differs/);
  t.regex(JSON.stringify(err), /activationCheckpointing/);
  // The same plugin without checkpointing trains (its noise is its own business).
  await t.notThrowsAsync(train({}, [new OwnNoise()]));
});
