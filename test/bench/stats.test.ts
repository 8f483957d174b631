import test from 'ava';
import { intervals, mean, median, overheadPercent, quantile, sig } from '../../bench/lib/stats.ts';
import { planSteps } from '../../bench/lib/planSteps.ts';

test('median of odd and even lists, unsorted input left alone', (t) => {
  const xs = [5, 1, 3];
  t.is(median(xs), 3);
  t.deepEqual(xs, [5, 1, 3]);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([7]), 7);
  t.throws(() => median([]));
});

test('mean, overhead and intervals', (t) => {
  t.is(mean([1, 2, 6]), 3);
  t.is(overheadPercent(102, 100), 2);
  t.is(overheadPercent(90, 100), -10);
  t.deepEqual(intervals([10, 12, 17, 17.5]), [2, 5, 0.5]);
  t.deepEqual(intervals([3]), []);
  t.is(sig(1234.5678, 3), 1230);
  t.is(sig(0.000123456, 2), 0.00012);
});

test('planSteps fits the allowance and clamps', (t) => {
  t.is(planSteps(10_000, 1_000, 2, 20), 10);
  t.is(planSteps(10_000, 100, 2, 20), 20);
  t.is(planSteps(10_000, 50_000, 2, 20), 2);
  t.is(planSteps(10_000, NaN, 3, 20), 3); // unknown step time: the minimum
  t.throws(() => planSteps(1, 1, 5, 2));
});

test('quantile interpolates like numpy', (t) => {
  t.is(quantile([1, 2, 3, 4], 0.25), 1.75);
  t.is(quantile([4, 3, 2, 1], 0.75), 3.25);
  t.is(quantile([5], 0.5), 5);
  t.is(quantile([1, 3], 0.5), median([1, 3]));
});
