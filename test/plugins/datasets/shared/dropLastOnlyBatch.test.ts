import test from 'ava';
import { cutBatches, planBatches, planCount, sortishBatches, type PlanOptions } from '../../../../plugins/datasets/shared/batchPlan.ts';
import { epochPermutation } from '../../../../plugins/datasets/shared/shuffle.ts';

const flat = (bs: Int32Array[]) => bs.map((b) => Array.from(b));

/** planBatches as it was before the only batch was kept: with dropLast the tail of n mod B always went. */
function previousPlan(n: number, o: PlanOptions): Int32Array[] {
  let perm = epochPermutation(o.seed, o.epoch, n);
  if (o.dropLast) perm = perm.subarray(0, n - (n % o.batchSize));
  return o.sortishPool > 0 ? sortishBatches(perm, o.lengths, o.batchSize, o.sortishPool, o.seed, `epoch:${o.epoch}`) : cutBatches(perm, o.batchSize);
}

const lengthsOf = (n: number) => Int32Array.from({ length: n }, (_, i) => 1 + ((i * 37) % 23));

test('n >= batchSize: the same batches in the same order as before, with and without sortish, every epoch', (t) => {
  let cases = 0;
  for (const batchSize of [1, 2, 4, 8, 32])
    for (let n = batchSize; n <= batchSize * 3 + 1; n++)
      for (const sortishPool of [0, 2])
        for (const epoch of [0, 1, 5])
          for (const seed of [3, 11]) {
            const o: PlanOptions = { batchSize, shuffle: true, seed, epoch, dropLast: true, sortishPool, lengths: lengthsOf(n) };
            const now = planBatches(n, o);
            t.deepEqual(flat(now), flat(previousPlan(n, o)), JSON.stringify({ n, batchSize, sortishPool, epoch, seed }));
            t.is(now.length, Math.floor(n / batchSize));
            t.is(planCount(n, batchSize, true), Math.floor(n / batchSize));
            t.true(now.every((b) => b.length === batchSize), 'only full batches');
            cases++;
          }
  // n from B to 3B + 1: 2B + 2 sizes per batch size, 104 in all; × 2 pools × 3 epochs × 2 seeds.
  t.is(cases, 104 * 12);
});

test('n < batchSize with dropLast: one partial batch of all n examples, the order dropLast false gives', (t) => {
  for (const batchSize of [2, 4, 32])
    for (let n = 1; n < batchSize; n++)
      for (const sortishPool of [0, 3])
        for (const epoch of [0, 2]) {
          const base = { batchSize, shuffle: true, seed: 7, epoch, sortishPool, lengths: lengthsOf(n) };
          const dropped = planBatches(n, { ...base, dropLast: true });
          t.is(dropped.length, 1);
          t.is(dropped[0]!.length, n);
          t.deepEqual(flat(dropped), flat(planBatches(n, { ...base, dropLast: false })));
          t.deepEqual([...dropped[0]!].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
          t.is(planCount(n, batchSize, true), 1);
          // Before: no batch at all, an epoch of nothing.
          t.is(previousPlan(n, { ...base, dropLast: true }).length, 0);
        }
});

test('planCount with dropLast, hand-computed: 0 → 0, 3 of 4 → 1, 4 → 1, 7 → 1, 8 → 2, 10 → 2, 100 of 32 → 3, 20 of 32 → 1', (t) => {
  t.deepEqual([0, 3, 4, 7, 8, 10].map((n) => planCount(n, 4, true)), [0, 1, 1, 1, 2, 2]);
  t.deepEqual([0, 3, 4, 7, 8, 10].map((n) => planCount(n, 4, false)), [0, 1, 1, 2, 2, 3]);
  t.is(planCount(100, 32, true), 3);
  t.is(planCount(20, 32, true), 1);
  t.deepEqual(planBatches(0, { batchSize: 4, shuffle: true, seed: 1, epoch: 0, dropLast: true, sortishPool: 0, lengths: [] }), []);
});

test('evaluation is never dropped, whatever dropLast says', (t) => {
  const base = { batchSize: 4, shuffle: false, seed: 1, epoch: 0, sortishPool: 0, lengths: lengthsOf(10) };
  t.deepEqual(flat(planBatches(10, { ...base, dropLast: true })), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  t.deepEqual(flat(planBatches(3, { ...base, dropLast: true })), [[0, 1, 2]]);
});
