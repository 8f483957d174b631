import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, silentLogger, type Batch, type BatchOptions, type DatasetPlugin, type GraftPlugin, type Split } from '../../../core/index.ts';
import { addGrads, GradAccumulation, GradClipCallback, meanGrads, updateDue } from '../../../plugins/callbacks/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { WarmupCosineScheduler } from '../../../plugins/schedulers/index.ts';
import { ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 11;
const T = 5;

/**
 * A fixed pool of `rows` sequences, cut in order into batches of `batchSize` (the last may be
 * shorter): batches of 2 taken four at a time hold exactly the rows of one batch of 8.
 */
class RowsDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:rows', kind: 'dataset' } as const;
  constructor(readonly batchSize: number, readonly rows = 24) {}
  apply(): void {}
  numBatches(split: Split): number {
    return split === 'train' ? Math.ceil(this.rows / this.batchSize) : 1;
  }
  *batches(split: Split, o: BatchOptions): IterableIterator<Batch> {
    const n = this.numBatches(split);
    for (let b = o.from ?? 0; b < n; b++) {
      const first = split === 'train' ? b * this.batchSize : 0;
      const B = split === 'train' ? Math.min(this.batchSize, this.rows - first) : 4;
      const ids = new Int32Array(B * T);
      const tg = new Int32Array(B * T);
      for (let r = 0; r < B; r++) {
        for (let j = 0; j < T; j++) {
          const row = first + r;
          // depends on the epoch too, so two epochs are not the same data twice
          ids[r * T + j] = (row * 7 + j * 3 + o.epoch * 5 + row * j) % V;
          tg[r * T + j] = (ids[r * T + j]! * 3 + 1 + (row % 2)) % V;
        }
      }
      yield { inputs: tf.tensor2d(ids, [B, T], 'int32'), targets: tf.tensor2d(tg, [B, T], 'int32') };
    }
  }
}

type Opt = 'sgd' | 'momentum' | 'adamw';
const optimizer = (o: Opt): GraftPlugin =>
  o === 'sgd' ? new ToySgd(0.5) : o === 'momentum' ? new SgdOptimizer({ lr: 0.2, momentum: 0.9 }) : new AdamwOptimizer({ lr: 0.01, weightDecay: 0.1 });

function run(o: { batchSize: number; k?: number; rows?: number; opt: Opt; epochs?: number; maxSteps?: number; extra?: GraftPlugin[] }) {
  return createTrainer({
    plugins: [
      new ToyModel({ vocab: V }),
      new ToyObjective(),
      optimizer(o.opt),
      new RowsDataset(o.batchSize, o.rows),
      ...(o.k ? [new GradAccumulation({ steps: o.k })] : []),
      ...(o.extra ?? []),
    ],
    options: { seed: 3, epochs: o.epochs ?? 2, maxSteps: o.maxSteps ?? 0 },
    logger: silentLogger(),
  });
}

async function params(tr: ReturnType<typeof run>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const n of tr.params.names()) out[n] = (await tr.params.get(n).data()) as Float32Array;
  return out;
}

function maxDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let m = 0;
  for (const n of Object.keys(a)) for (let i = 0; i < a[n]!.length; i++) m = Math.max(m, Math.abs(a[n]![i]! - b[n]![i]!));
  return m;
}

test('pure math: addGrads sums per parameter (missing entries add nothing), meanGrads divides, updateDue', (t) => {
  const a = { w: tf.tensor1d([1, 2]), only: tf.tensor1d([5]) };
  const b = { w: tf.tensor1d([3, 5]), none: null as unknown as tf.Tensor, late: tf.tensor1d([7]) };
  const s = addGrads(a, b);
  t.deepEqual(Object.keys(s).sort(), ['late', 'only', 'w']);
  t.deepEqual(Array.from(s.w!.dataSync()), [4, 7]);
  t.deepEqual(Array.from(s.only!.dataSync()), [5]);
  t.deepEqual(Array.from(s.late!.dataSync()), [7]);
  t.not(s.only, a.only, 'new tensors: the caller frees the old sum');
  const m = meanGrads(s, 2);
  t.deepEqual(Array.from(m.w!.dataSync()), [2, 3.5]);
  const first = addGrads(undefined, a);
  t.not(first.w, a.w);
  t.true(updateDue(4, 4, false));
  t.false(updateDue(3, 4, false));
  t.true(updateDue(2, 4, true));
  tf.dispose([...Object.values(a), b.w, b.late, ...Object.values(s), ...Object.values(m), ...Object.values(first)]);
});

test('options: steps is an integer ≥ 1', (t) => {
  t.is(new GradAccumulation().options.steps, 1);
  t.throws(() => new GradAccumulation({ steps: 0 }), { instanceOf: GraftError, message: /callback:grad-accumulation.*steps/ });
  t.throws(() => new GradAccumulation({ steps: 1.5 }), { instanceOf: GraftError });
});

for (const opt of ['sgd', 'momentum', 'adamw'] as const) {
  test(`k=4 micro-batches of 2 equal one batch of 8 (${opt}, 6 updates over 2 epochs)`, async (t) => {
    const big = run({ batchSize: 8, opt });
    const acc = run({ batchSize: 2, k: 4, opt });
    await big.setup();
    await acc.setup();
    t.deepEqual(await params(big), await params(acc), 'same initial weights');
    const rb = await big.fit();
    const ra = await acc.fit();
    t.is(rb.state.step, 6);
    t.is(ra.state.step, 6, 'state.step counts optimizer updates');
    t.is(ra.state.examples, rb.state.examples);
    const d = maxDiff(await params(big), await params(acc));
    t.true(d < 1e-6, `max |Δ| ${d}`);
    // and the updates did something
    const init = run({ batchSize: 8, opt });
    await init.setup();
    t.true(maxDiff(await params(init), await params(big)) > 1e-2);
    big.dispose();
    acc.dispose();
    init.dispose();
  });
}

test('a short last cycle at the end of an epoch equals a short last batch; maxSteps, a schedule and clipping count updates', async (t) => {
  // 20 rows: batches of 8, 8, 4 vs micro-batches of 2 in cycles of 4, 4, 2.
  const extra = () => [new WarmupCosineScheduler({ warmupSteps: 2 }), new GradClipCallback({ maxNorm: 0.5 })];
  const big = run({ batchSize: 8, rows: 20, opt: 'momentum', epochs: 3, maxSteps: 7, extra: extra() });
  const acc = run({ batchSize: 2, k: 4, rows: 20, opt: 'momentum', epochs: 3, maxSteps: 7, extra: extra() });
  const rb = await big.fit();
  const ra = await acc.fit();
  t.is(rb.state.step, 7);
  t.is(ra.state.step, 7);
  t.is(ra.stopReason, 'max-steps');
  // 3 updates an epoch: the 7th is the first of epoch 3, after its first 4 micro-batches
  t.deepEqual([ra.state.epoch, ra.state.batchInEpoch], [2, 4]);
  const d = maxDiff(await params(big), await params(acc));
  t.true(d < 1e-6, `max |Δ| ${d}`);
  big.dispose();
  acc.dispose();
});

test.serial('a run resumed between two updates equals the straight run; no tensor leaks', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-accum-'));
  try {
    const straight = run({ batchSize: 2, k: 4, opt: 'adamw' });
    await straight.fit();
    const expected = await params(straight);
    straight.dispose();

    // Stop after 6 micro-batches: one update done, two micro-batches summed and pending.
    const stopper: GraftPlugin = {
      meta: { name: 'callback:stop-mid-cycle', kind: 'callback' },
      apply: (tr) => tr.tap('shouldStop', 'callback:stop-mid-cycle', (ctx) => (ctx.state.batchInEpoch === 6 ? 'test' : undefined)),
    };
    const first = run({ batchSize: 2, k: 4, opt: 'adamw', extra: [stopper] });
    await first.fit();
    const accum = first.plugin<GradAccumulation>(GradAccumulation.meta.name)!;
    t.is(first.state.step, 1);
    t.is(accum.pending, 2);
    await first.save(dir);
    first.dispose();

    const tensors = tf.memory().numTensors;
    const resumed = run({ batchSize: 2, k: 4, opt: 'adamw' });
    await resumed.resume(dir);
    t.is(resumed.plugin<GradAccumulation>(GradAccumulation.meta.name)!.pending, 2);
    await resumed.fit();
    t.is(resumed.state.step, 6);
    const d = maxDiff(expected, await params(resumed));
    t.is(d, 0, `max |Δ| ${d}`);
    resumed.dispose();
    t.is(tf.memory().numTensors, tensors, 'everything freed, the pending sums included');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('tensor count stays flat over a run; dispose frees pending sums', async (t) => {
  const tr = run({ batchSize: 2, k: 4, opt: 'sgd', epochs: 1 });
  await tr.setup();
  const before = tf.memory().numTensors;
  await tr.fit(); // 12 micro-batches: ends on an update, nothing pending
  t.is(tf.memory().numTensors, before);
  tr.dispose();

  const stopper: GraftPlugin = {
    meta: { name: 'callback:stop', kind: 'callback' },
    apply: (t2) => t2.tap('shouldStop', 'callback:stop', (ctx) => (ctx.state.batchInEpoch === 3 ? 'test' : undefined)),
  };
  const baseline = tf.memory().numTensors;
  const mid = run({ batchSize: 2, k: 4, opt: 'sgd', extra: [stopper] });
  await mid.fit();
  t.is(mid.plugin<GradAccumulation>(GradAccumulation.meta.name)!.pending, 3);
  mid.dispose();
  t.is(tf.memory().numTensors, baseline);
});

test('steps: 1 leaves training unchanged', async (t) => {
  const plain = run({ batchSize: 4, opt: 'momentum' });
  const one = run({ batchSize: 4, k: 1, opt: 'momentum' });
  await plain.fit();
  await one.fit();
  t.is(maxDiff(await params(plain), await params(one)), 0);
  t.is(one.state.step, plain.state.step);
  plain.dispose();
  one.dispose();
});

test('a schedule sized from epochs is warned about', async (t) => {
  const warnings: string[] = [];
  const tr = run({ batchSize: 2, k: 4, opt: 'momentum', epochs: 1, extra: [new WarmupCosineScheduler({ warmupSteps: 1 })] });
  tr.logger.warn = ((m: string) => (warnings.push(m), tr.logger)) as never;
  await tr.fit();
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /scheduler:warmup-cosine.*maxSteps.*totalSteps/);
  tr.dispose();
});
