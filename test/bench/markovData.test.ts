import test from 'ava';
import { batchOffsets, markovBatch, markovTokens, REFERENCE_MARKOV } from '../../bench/lib/markovData.ts';

// Reference values from gpt_torch.py's make_data / batch_at, run by hand with /usr/bin/python3.
const toks = markovTokens();

test('markovTokens reproduces make_data()', (t) => {
  t.is(toks.length, REFERENCE_MARKOV.length);
  t.deepEqual([...toks.subarray(0, 20)], [0, 0, 0, 59, 93, 5, 85, 6, 55, 76, 24, 32, 30, 22, 29, 7, 37, 43, 23, 84]);
  t.deepEqual([...toks.subarray(-5)], [67, 6, 55, 66, 71]);
  t.is(toks.reduce((a, b) => a + b, 0), 3021319);
});

test('every symbol has at most 4 successors', (t) => {
  const succ = new Map<number, Set<number>>();
  for (let i = 0; i + 1 < toks.length; i++) {
    const s = succ.get(toks[i]!) ?? new Set();
    s.add(toks[i + 1]!);
    succ.set(toks[i]!, s);
  }
  t.true([...succ.values()].every((s) => s.size <= 4));
});

test('batchOffsets and markovBatch reproduce batch_at(toks, step)', (t) => {
  t.deepEqual(batchOffsets(0, 4, 128, toks.length), [42528, 53448, 18709, 57705]);
  const { inputs, targets } = markovBatch(toks, 3, 16, 128);
  t.deepEqual([...inputs.subarray(0, 8)], [29, 44, 49, 82, 58, 68, 23, 84]);
  t.deepEqual([...targets.subarray(0, 8)], [44, 49, 82, 58, 68, 23, 84, 85]);
  t.is(inputs.reduce((a, b) => a + b, 0), 94097);
  t.is(targets.reduce((a, b) => a + b, 0), 93879);
  // targets are the inputs shifted by one within each row
  for (let b = 0; b < 16; b++) t.deepEqual([...targets.subarray(b * 128, b * 128 + 127)], [...inputs.subarray(b * 128 + 1, b * 128 + 128)]);
});
