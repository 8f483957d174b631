import test from 'ava';
import { epochPermutation, seededInt, seededPermutation } from '../../../../plugins/datasets/shared/shuffle.ts';

test('a seeded permutation is a permutation, repeatable, and changes with the seed and the label', (t) => {
  const p = epochPermutation(5, 0, 50);
  t.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  t.deepEqual(epochPermutation(5, 0, 50), p);
  t.notDeepEqual(epochPermutation(6, 0, 50), p);
  t.notDeepEqual(epochPermutation(5, 1, 50), p);
  t.deepEqual(seededPermutation(5, 'epoch:0', 50), p);
  const k = seededInt(5, 'x', 7);
  t.true(Number.isInteger(k) && k >= 0 && k < 7);
  t.is(seededInt(5, 'x', 7), k);
});
