import test from 'ava';
import { cutBatches, planBatches, planCount, sortishBatches } from '../../../../plugins/datasets/shared/batchPlan.ts';

const flat = (bs: Int32Array[]) => bs.flatMap((b) => Array.from(b));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('cutBatches keeps a last partial batch', (t) => {
  t.deepEqual(cutBatches(Int32Array.from(range(7)), 3).map((b) => Array.from(b)), [[0, 1, 2], [3, 4, 5], [6]]);
});

test('sortish: every index once, ceil(n/B) batches, each batch cut from a length-sorted pool', (t) => {
  const n = 103;
  const lengths = Int32Array.from(range(n), (i) => (i * 37) % 50);
  const order = Int32Array.from(range(n));
  const bs = sortishBatches(order, lengths, 8, 4, 11, 'e0');
  t.is(bs.length, Math.ceil(n / 8));
  t.deepEqual(flat(bs).sort((a, b) => a - b), range(n));
  for (const b of bs) {
    const ls = Array.from(b, (i) => lengths[i]!);
    t.deepEqual(ls, [...ls].sort((a, c) => c - a));
  }
  // Padding is less than with random batches: sum over batches of (max - min) length.
  const spread = (x: Int32Array[]) => x.reduce((s, b) => s + Math.max(...Array.from(b, (i) => lengths[i]!)) - Math.min(...Array.from(b, (i) => lengths[i]!)), 0);
  t.true(spread(bs) < spread(cutBatches(order, 8)) / 2);
  t.deepEqual(sortishBatches(order, lengths, 8, 4, 11, 'e0'), bs);
  t.notDeepEqual(sortishBatches(order, lengths, 8, 4, 11, 'e1'), bs);
});

test('planBatches: training shuffles per epoch; dropLast leaves out n mod B; evaluation is in order', (t) => {
  const lengths = new Int32Array(10).fill(1);
  const base = { batchSize: 4, seed: 3, sortishPool: 0, lengths };
  const e0 = planBatches(10, { ...base, shuffle: true, epoch: 0, dropLast: false });
  t.is(e0.length, 3);
  t.deepEqual(flat(e0).sort((a, b) => a - b), range(10));
  t.notDeepEqual(flat(planBatches(10, { ...base, shuffle: true, epoch: 1, dropLast: false })), flat(e0));
  const dropped = planBatches(10, { ...base, shuffle: true, epoch: 0, dropLast: true });
  t.is(dropped.length, 2);
  t.deepEqual(flat(dropped), flat(e0).slice(0, 8));
  t.deepEqual(flat(planBatches(10, { ...base, shuffle: false, epoch: 5, dropLast: false })), range(10));
  t.is(planCount(10, 4, false), 3);
  t.is(planCount(10, 4, true), 2);
  const sortedEval = planBatches(4, { ...base, lengths: [1, 5, 3, 5], shuffle: false, epoch: 0, dropLast: false, sortishPool: 2 });
  t.deepEqual(flat(sortedEval), [1, 3, 2, 0]);
});

test('dropLast never drops the only batch: fewer examples than B make one partial batch', (t) => {
  const lengths = new Int32Array(10).fill(1);
  const base = { batchSize: 4, seed: 3, sortishPool: 0, lengths, shuffle: true, epoch: 0 };
  const three = planBatches(3, { ...base, dropLast: true });
  t.is(three.length, 1);
  t.deepEqual(flat(three), flat(planBatches(3, { ...base, dropLast: false })));
  t.is(planCount(3, 4, true), 1);
  t.is(planCount(4, 4, true), 1);
  t.is(planCount(7, 4, true), 1);
  t.is(planCount(0, 4, true), 0);
  t.deepEqual(planBatches(4, { ...base, dropLast: true }).map((b) => b.length), [4]);
  t.deepEqual(planBatches(7, { ...base, dropLast: true }).map((b) => b.length), [4]);
});
