import test from 'ava';
import { fillWindows, windowCount } from '../../../../plugins/datasets/shared/windows.ts';

test('windowCount: starts i with i + T + 1 <= N on the grid', (t) => {
  // N = 10, T = 3: starts 0..6 need tokens up to i+3 <= 9.
  t.is(windowCount(10, 3, 1), 7);
  t.is(windowCount(10, 3, 3), 3); // 0, 3, 6
  t.is(windowCount(10, 3, 3, 2), 2); // every offset 0..2: starts off, off+3 (off+6 may not fit)
  t.is(windowCount(4, 3, 3), 1);
  t.is(windowCount(3, 3, 3), 0);
});

test('fillWindows: targets are the inputs shifted by one', (t) => {
  const tokens = Uint16Array.from({ length: 20 }, (_, i) => 100 + i);
  const inputs = new Int32Array(2 * 4);
  const targets = new Int32Array(2 * 4);
  fillWindows(tokens, [5, 0], 4, inputs, targets);
  t.deepEqual(Array.from(inputs), [105, 106, 107, 108, 100, 101, 102, 103]);
  t.deepEqual(Array.from(targets), [106, 107, 108, 109, 101, 102, 103, 104]);
});
