import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  createTrainer,
  silentLogger,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type GraftPlugin,
  type ModelPlugin,
  type Outputs,
  type SpecialToken,
  type Split,
  type Tokenizer,
} from '../../../core/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/index.ts';
import { MlmHead } from '../../../plugins/heads/index.ts';
import { MaskedAccuracyMetric, maskedAccuracyCounts } from '../../../plugins/metrics/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { MaskedLmObjective, maskedPerplexity, maskedTotals } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToyObjective, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('maskedAccuracyCounts by hand: argmax = target at the masked positions only (first index on ties)', (t) => {
  // B=1, T=4, V=3; argmax per position: 2, 0, 1, 0 (tie between 0 and 2 → 0)
  const logits = [[[0, 1, 5], [3, -1, 2], [0, 0.5, 0.1], [1, 0, 1]]];
  const targets = [[2, 1, 1, 2]];
  const counts = (mask?: number[][]) =>
    tf.tidy(() => Array.from(maskedAccuracyCounts(tf.tensor3d(logits), tf.tensor2d(targets, [1, 4], 'int32'), mask && tf.tensor2d(mask)).dataSync()));
  t.deepEqual(counts(), [2, 4]); // positions 0 and 2 are right
  t.deepEqual(counts([[1, 1, 0, 1]]), [1, 3]); // position 2 (right) not masked
  t.deepEqual(counts([[0, 1, 0, 1]]), [0, 2]); // only the wrong ones, the tie among them
  t.deepEqual(counts([[0, 0, 0, 0]]), [0, 0]);
});

test('maskedTotals: [mean loss × masked tokens, masked tokens]; perplexity = exp(Σ nll / n)', (t) => {
  const v = tf.tidy(() => Array.from(maskedTotals(tf.scalar(1.5), tf.tensor2d([[1, 0, 1], [0, 0, 1]])).dataSync()));
  t.deepEqual(v, [4.5, 3]);
  // two batches: 1 token with nll 2, 3 tokens with mean 1 → exp(5/4), not exp((2+1)/2)
  t.is(maskedPerplexity(2 + 3, 4), Math.exp(5 / 4));
  t.is(maskedPerplexity(0, 0), undefined);
});

// --- the metric alone, on validation batches with known masks and a model that predicts its input

const V = 4;
/** Two validation batches: (inputs = predictions, targets, mask). Batch 0: 1 of 1 masked right; batch 1: 1 of 3. */
const VALIDATION: { inputs: number[][]; targets: number[][]; mask: number[][] }[] = [
  { inputs: [[1, 2, 3]], targets: [[1, 0, 0]], mask: [[1, 0, 0]] },
  { inputs: [[0, 1, 2], [3, 3, 3]], targets: [[0, 2, 2], [1, 3, 0]], mask: [[0, 1, 1], [1, 0, 0]] },
];

class FixedDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:fixed', kind: 'dataset' } as const;
  apply(): void {}
  numBatches(split: Split): number {
    return split === 'train' ? 1 : VALIDATION.length;
  }
  *batches(split: Split, _o: BatchOptions): IterableIterator<Batch> {
    const rows = split === 'train' ? [VALIDATION[0]!] : VALIDATION;
    for (const b of rows) {
      const shape: [number, number] = [b.inputs.length, 3];
      yield { inputs: tf.tensor2d(b.inputs, shape, 'int32'), targets: tf.tensor2d(b.targets, shape, 'int32'), mask: tf.tensor2d(b.mask, shape) };
    }
  }
}

/** logits = one-hot(inputs): predicts its input. */
class EchoModel implements ModelPlugin {
  readonly meta = { name: 'model:echo', kind: 'model' } as const;
  apply(): void {}
  forward(batch: Batch): Outputs {
    return { logits: tf.cast(tf.oneHot(batch.inputs as tf.Tensor2D, V), 'float32') };
  }
  layerGroups() {
    return [];
  }
}

test.serial('the metric counts over every masked token of the split (2/4), not the mean of batch accuracies (2/3)', async (t) => {
  const trainer = createTrainer({ plugins: [new EchoModel(), new ToyObjective(), new ToySgd(), new FixedDataset(), new MaskedAccuracyMetric()], logger: silentLogger() });
  const m = await trainer.evaluate('validation');
  t.is(m.validation_masked_accuracy, 2 / 4);
  // a second evaluation starts from zero, and frees its counts
  const before = tf.memory().numTensors;
  t.is((await trainer.evaluate('validation')).validation_masked_accuracy, 0.5);
  t.is(tf.memory().numTensors, before, 'the counts are freed after each evaluation');
  // without a mask field every position counts: 4 right of 9 (batch 0: 1 of 3, batch 1: 3 of 6)
  const plain = createTrainer({ plugins: [new EchoModel(), new ToyObjective(), new ToySgd(), new FixedDataset(), new MaskedAccuracyMetric({ maskKey: 'none' })], logger: silentLogger() });
  t.is((await plain.evaluate('validation')).validation_masked_accuracy, 4 / 9);
  trainer.dispose();
  plain.dispose();
});

test('a batch without targets is an error naming the plugin and the keys', async (t) => {
  const trainer = createTrainer({ plugins: [new EchoModel(), new ToyObjective(), new ToySgd(), new FixedDataset(), new MaskedAccuracyMetric({ targetsKey: 'labels' })], logger: silentLogger() });
  await t.throwsAsync(trainer.evaluate('validation'), { message: /metric:masked-accuracy.*needs outputs\.logits and batch\.labels/ });
  trainer.dispose();
});

// --- with the masked-LM objective: perplexity and accuracy by hand from what the evaluation saw

function tokenizer(vocabSize: number, specials: Partial<Record<SpecialToken, number>>): GraftPlugin & { tokenizer: Tokenizer } {
  return { meta: { name: 'tokenizer:inline', kind: 'tokenizer' }, tokenizer: { type: 'inline', vocabSize, specials } as unknown as Tokenizer, apply() {} };
}

const mlmRecipe = (): GraftPlugin[] => [
  new GptModel({ vocabSize: 11, contextLength: 8, nLayers: 1, nHeads: 2, dModel: 8, causal: false, dropout: 0 }),
  new MlmHead(),
  new MaskedLmObjective({ maskProb: 0.3 }),
  new ToySgd(0.1),
  new ToyDataset({ vocab: 10, seqLen: 6, batchSize: 3 }),
  tokenizer(11, { pad: 0, mask: 10 }),
];

test.serial('masked-LM evaluation: perplexity and masked accuracy equal the hand count over every masked token', async (t) => {
  const trainer = createTrainer({ plugins: [...mlmRecipe(), new MaskedAccuracyMetric()], options: { seed: 5, maxSteps: 2 }, logger: silentLogger() });
  await trainer.fit();
  await trainer.evaluate('validation');
  const seen: { logits: number[][][]; targets: number[][]; mask: number[][]; loss: number }[] = [];
  trainer.tap('evalBatch', 'test', (ctx) => {
    seen.push({
      logits: ctx.outputs.logits!.arraySync() as number[][][],
      targets: ctx.batch.targets!.arraySync() as number[][],
      mask: ctx.batch.mask!.arraySync() as number[][],
      loss: ctx.loss.dataSync()[0]!,
    });
  });
  const before = tf.memory().numTensors;
  const m = await trainer.evaluate('validation');
  t.is(tf.memory().numTensors, before);
  t.is(seen.length, 2);
  let nll = 0;
  let correct = 0;
  let n = 0;
  const perBatch: number[] = [];
  for (const b of seen) {
    let bn = 0;
    let bc = 0;
    b.mask.forEach((row, i) =>
      row.forEach((w, j) => {
        if (!w) return;
        const l = b.logits[i]![j]!;
        const y = b.targets[i]![j]!;
        const mx = Math.max(...l);
        nll += mx + Math.log(l.reduce((s, x) => s + Math.exp(x - mx), 0)) - l[y]!;
        if (l.indexOf(mx) === y) bc++;
        bn++;
      }),
    );
    n += bn;
    correct += bc;
    perBatch.push(bc / bn);
  }
  t.true(n > 0);
  t.true(Math.abs(m.validation_perplexity! - Math.exp(nll / n)) < 1e-4 * Math.exp(nll / n), `${m.validation_perplexity} vs ${Math.exp(nll / n)}`);
  t.is(m.validation_masked_accuracy, correct / n);
  // validation_loss stays the trainer's: batch losses weighted by rows
  t.true(Math.abs(m.validation_loss! - (seen[0]!.loss * 3 + seen[1]!.loss * 3) / 6) < 1e-6);
  t.true(Number.isFinite(m.validation_perplexity!) && m.validation_perplexity! > 1);
  trainer.dispose();
});

// evaluation after every step, so the counts accumulate and read out during training
pluginConformance(test, {
  make: () => new MaskedAccuracyMetric(),
  recipe: () => [...mlmRecipe(), new EvaluateCallback({ every: 1 })],
});
