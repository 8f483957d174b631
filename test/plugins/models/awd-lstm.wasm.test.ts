/**
 * The AWD-LSTM + classifier stack on wasm (the backend `selectBackend` picks on a CPU machine)
 * against the stock cpu backend: same loss and gradients. Guards the wasm-specific choices in
 * lstm.ts (no fused matmul with a rank-2 bias, two-level time slicing).
 */
import test from 'ava';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, createTrainer, silentLogger, type Batch } from '../../../core/index.ts';
import { selectBackend } from '../../../core/backend/index.ts';
import { ClassifierHead } from '../../../plugins/heads/index.ts';
import { AwdLstmModel, embeddingDropout, lockedDropout, weightDropout } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { ToyClassificationDataset } from '../heads/classificationToy.ts';

const NO_DROPOUT = { embedDropout: 0, inputDropout: 0, hiddenDropout: 0, outputDropout: 0, weightDropout: 0 } as const;

async function lossAndGrads(backend: 'wasm' | 'cpu'): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  if (backend === 'wasm') await selectBackend({ prefer: 'wasm' });
  else await tf.setBackend('cpu');
  const dataset = new ToyClassificationDataset({ batchSize: 5, seqLen: 11 });
  const trainer = createTrainer({
    plugins: [
      new AwdLstmModel({ vocabSize: 9, embSize: 6, hiddenSize: 10, nLayers: 2, ...NO_DROPOUT }),
      new ClassifierHead({ hidden: [7], dropouts: [0, 0] }),
      new ClassificationObjective(),
      new ToySgd(0),
      dataset,
    ],
    options: { seed: 12 },
    logger: silentLogger(),
  });
  await trainer.setup();
  const batch: Batch = dataset.batches('train', { epoch: 0 }).next().value!;
  const entries = trainer.params.trainable();
  const { value, grads } = tf.variableGrads(() => {
    const out = trainer.forward(batch, true);
    return trainer.role('objective').loss(out, batch, trainer.forwardContext(true));
  }, entries.map((e) => e.variable));
  const result = {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(entries.map((e) => [e.name, grads[e.variable.name]!.dataSync() as Float32Array])),
  };
  tf.dispose([value, ...Object.values(grads), ...Object.values(batch)]);
  trainer.dispose();
  return result;
}

test.serial('loss and gradients on wasm equal the cpu backend', async (t) => {
  const wasm = await lossAndGrads('wasm');
  const cpu = await lossAndGrads('cpu');
  t.true(Math.abs(wasm.loss - cpu.loss) < 1e-5, `${wasm.loss} vs ${cpu.loss}`);
  t.deepEqual(Object.keys(wasm.grads), Object.keys(cpu.grads));
  for (const [name, g] of Object.entries(cpu.grads)) {
    const w = wasm.grads[name]!;
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!) / scale);
    t.true(worst < 1e-4, `${name}: relative difference ${worst}`);
  }
});

test.serial('dropout masks on wasm: locked over time, whole embedding rows, DropConnect entries', async (t) => {
  await selectBackend({ prefer: 'wasm' });
  t.is(tf.getBackend(), 'wasm');
  const rng = new Rng(3);
  const locked = tf.tidy(() => lockedDropout(tf.ones([3, 5, 4]), 0.5, true, rng).arraySync()) as number[][][];
  for (const seq of locked) for (const step of seq) t.deepEqual(step, seq[0]);
  t.true(locked.flat(2).every((v) => v === 0 || v === 2));
  const table = tf.tidy(() => tf.add(tf.reshape(tf.range(0, 24, 1, 'float32'), [6, 4]), 1));
  const rows = tf.tidy(() => embeddingDropout(table, tf.tensor2d([[0, 1, 2, 3, 4, 5, 0, 1]], [1, 8], 'int32'), 0.5, true, rng).arraySync()) as number[][][];
  const tv = table.arraySync() as number[][];
  [0, 1, 2, 3, 4, 5, 0, 1].forEach((id, s) => {
    const r = rows[0]![s]!;
    t.true(r.every((v) => v === 0) || r.every((v, j) => v === 2 * tv[id]![j]!), `row ${s}: ${r}`);
  });
  t.deepEqual(rows[0]![6], rows[0]![0]);
  const w = tf.tidy(() => weightDropout(0.5, rng)(tf.ones([8, 8]), { name: 'w', training: true }).dataSync());
  t.true(Array.from(w).every((v) => v === 0 || v === 2));
  table.dispose();
});
