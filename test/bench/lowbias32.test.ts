import test from 'ava';
import { h32, hashNormal } from '../../bench/lib/lowbias32.ts';

// Values printed by gpt_torch.py's own h32 / randn (run by hand with /usr/bin/python3).
test('h32 matches the reference hash, including the mod-2^32 reduction of its input', (t) => {
  t.deepEqual([0, 1, 777, 778, 1000003, 0xffffffff, 2 ** 32 + 5].map(h32), [0, 1753845952, 4086874087, 3571711388, 3402353639, 1734902346, 1548080446]);
  t.is(h32(h32(777) + 95 * 4 + 3), 3482649010);
});

test('hashNormal matches the reference randn(key, n, std) as float32', (t) => {
  t.deepEqual([...hashNormal(1000, 4, 0.02)], [0.011129713617265224, -0.004377124365419149, -0.042404744774103165, -0.004727747291326523]);
  t.deepEqual([...hashNormal(1002, 3, 1)], [-2.181950092315674, 0.29432234168052673, -0.8652226328849792]);
});

test('hashNormal draws look standard normal', (t) => {
  const z = hashNormal(7, 20000, 1);
  const m = z.reduce((a, b) => a + b, 0) / z.length;
  const v = z.reduce((a, b) => a + (b - m) ** 2, 0) / z.length;
  t.true(Math.abs(m) < 0.03, `mean ${m}`);
  t.true(Math.abs(v - 1) < 0.05, `variance ${v}`);
});
