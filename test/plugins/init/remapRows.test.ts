import test from 'ava';
import { GraftError } from '../../../core/index.ts';
import { alignVocab, remapRows } from '../../../plugins/init/index.ts';

// old vocabulary a, b, c; new vocabulary c, x, a: c and a carried over, x new, b dropped.
const OLD = ['a', 'b', 'c'];
const NEW = ['c', 'x', 'a'];

test('alignVocab matches tokens by string and counts carried, new and dropped tokens', (t) => {
  const al = alignVocab(OLD, NEW);
  t.deepEqual(Array.from(al.source), [2, -1, 0]);
  t.is(al.carried, 2);
  t.is(al.added, 1);
  t.is(al.dropped, 1);
});

test('alignVocab: a token listed twice in the old vocabulary maps to its first id', (t) => {
  t.deepEqual(Array.from(alignVocab(['a', 'b', 'a'], ['a']).source), [0]);
});

test('remapRows on an embedding [V, D] (axis 0): shared rows copied, new rows get the mean of all old rows', (t) => {
  // rows a = [1, 2], b = [3, 4], c = [5, 9]; mean = [3, 5]
  const old = { data: Float32Array.from([1, 2, 3, 4, 5, 9]), shape: [3, 2] };
  t.deepEqual(Array.from(remapRows(old, OLD, NEW, 0)), [5, 9, 3, 5, 1, 2]);
});

test('remapRows on an output kernel [D, V] (axis 1) re-indexes columns', (t) => {
  // the transpose of the above: column v is token v
  const old = { data: Float32Array.from([1, 3, 5, 2, 4, 9]), shape: [2, 3] };
  t.deepEqual(Array.from(remapRows(old, OLD, NEW, 1)), [5, 3, 1, 9, 5, 2]);
});

test('remapRows on a bias [V] and to a larger vocabulary', (t) => {
  const old = { data: Float32Array.from([1, 2, 6]), shape: [3] };
  t.deepEqual(Array.from(remapRows(old, OLD, ['a', 'b', 'c', 'y', 'z'], 0)), [1, 2, 6, 3, 3]);
});

test('remapRows refuses a vocabulary axis that does not match the old vocabulary, or a missing axis', (t) => {
  const old = { data: new Float32Array(6), shape: [2, 3] };
  t.throws(() => remapRows(old, OLD, NEW, 0), { instanceOf: GraftError, message: /axis 0 of shape \[2,3\] has 2 entries but the old vocabulary has 3/ });
  t.throws(() => remapRows(old, OLD, NEW, 2), { instanceOf: GraftError, message: /axis 2 is not an axis/ });
});
