import test from 'ava';
import { Budget } from '../../bench/lib/budget.ts';

test('a budget grants what is left before its deadline, never less than zero', (t) => {
  let now = 1000;
  const b = new Budget(10_000, () => now);
  t.is(b.remainingMs(), 10_000);
  t.is(b.allowance(4_000), 4_000);
  now += 8_000;
  t.is(b.allowance(4_000), 2_000);
  now += 5_000;
  t.is(b.remainingMs(), 0);
  t.is(b.allowance(4_000), 0);
  t.is(new Budget(Infinity, () => now).allowance(4_000), 4_000);
});
