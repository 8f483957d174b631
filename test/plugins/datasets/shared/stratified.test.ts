import test from 'ava';
import { stratifiedSplit } from '../../../../plugins/datasets/shared/stratifiedSplit.ts';
import { stratifiedSubsample, subsampleOrder } from '../../../../plugins/datasets/shared/stratifiedSubsample.ts';

/** 0..n-1 labelled by class counts, interleaved deterministically. */
function labelsOf(counts: number[]): Int32Array {
  const out: number[] = [];
  counts.forEach((n, c) => out.push(...Array(n).fill(c)));
  // interleave so class blocks are not contiguous
  return Int32Array.from(out.map((c, i) => [((i * 7919) % out.length), c]).sort((a, b) => a[0]! - b[0]!).map((x) => x[1]!));
}
const countOf = (labels: Int32Array, idx: Int32Array, c: number) => Array.from(idx).filter((i) => labels[i] === c).length;

test('stratified split: disjoint, complete, per-class rounded fractions, repeatable', (t) => {
  const labels = labelsOf([70, 30]);
  const s = stratifiedSplit(labels, 2, { validation: 0.1, test: 0.2 }, 99);
  const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
  t.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
  t.deepEqual([countOf(labels, s.test, 0), countOf(labels, s.test, 1)], [14, 6]);
  t.deepEqual([countOf(labels, s.validation, 0), countOf(labels, s.validation, 1)], [7, 3]);
  t.deepEqual(stratifiedSplit(labels, 2, { validation: 0.1, test: 0.2 }, 99), s);
  t.notDeepEqual(stratifiedSplit(labels, 2, { validation: 0.1, test: 0.2 }, 100).test, s.test);
});

test('subsample keeps class ratios within one example at every size', (t) => {
  for (const counts of [[70, 30], [500, 13], [40, 35, 25], [9, 1]]) {
    const labels = labelsOf(counts);
    const n = labels.length;
    for (let size = 1; size < n; size++) {
      const sub = stratifiedSubsample(labels, counts.length, size, 3);
      t.is(sub.length, size);
      counts.forEach((nc, c) => {
        const want = (size * nc) / n;
        const got = countOf(labels, sub, c);
        if (Math.abs(got - want) >= 1) t.fail(`counts ${counts} size ${size} class ${c}: ${got} vs ${want}`);
      });
    }
  }
  t.pass();
});

test('subsamples are nested across sizes and depend on the subsample seed', (t) => {
  const labels = labelsOf([60, 40]);
  const s50 = new Set(stratifiedSubsample(labels, 2, 50, 1));
  const s20 = stratifiedSubsample(labels, 2, 20, 1);
  t.true([...s20].every((i) => s50.has(i)));
  t.deepEqual(stratifiedSubsample(labels, 2, 20, 1), s20);
  t.notDeepEqual(stratifiedSubsample(labels, 2, 20, 2), s20);
  t.is(new Set(subsampleOrder(labels, 2, 1)).size, 100);
  t.deepEqual(Array.from(stratifiedSubsample(labels, 2, 0, 1)), Array.from({ length: 100 }, (_, i) => i));
});
