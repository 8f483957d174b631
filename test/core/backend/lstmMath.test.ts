/**
 * The LSTM kernels' gates from exponentials (core/backend/kernels/lstmMath.ts): sigmoid and tanh
 * from float32-rounded e^{-x} and e^{-2|x|}, against Math.tanh and the float64 sigmoid.
 */
import test from 'ava';
import { sigmoidFromExp, tanhFromExp, TANH_SERIES_BELOW } from '../../../core/backend/kernels/lstmMath.ts';
import { prng } from './helpers.ts';

/** |a - b| in float32 ulps of b (a and b float32 values). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const step = Math.abs(Math.fround(b * (1 + 2 ** -23)) - b) || 2 ** -149;
  return Math.abs(a - b) / step;
}

test('tanh from e^{-2|x|}: within 1 float32 ulp of Math.tanh over 12 decades, on both sides of the series\' bound', (t) => {
  const rand = prng(7);
  let worst = 0;
  let at = 0;
  const xs: number[] = [TANH_SERIES_BELOW, Math.fround(TANH_SERIES_BELOW * (1 - 2 ** -23)), Math.fround(TANH_SERIES_BELOW * (1 + 2 ** -23)), 1e-30, 0.1, 1, 9, 20];
  for (let i = 0; i < 200_000; i++) xs.push(Math.fround((rand() - 0.5) * 2 * 10 ** (rand() * 12 - 10)));
  for (const x of xs) {
    for (const v of [x, -x]) {
      const got = Math.fround(tanhFromExp(v, Math.fround(Math.exp(-2 * Math.abs(v)))));
      const u = ulps(got, Math.fround(Math.tanh(v)));
      if (u > worst) { worst = u; at = v; }
    }
  }
  t.true(worst <= 1, `worst ${worst} ulps at x = ${at}`);
});

test('tanh at the edges: odd, signed zeros kept, ±1 where e^{-2|x|} underflows, NaN through', (t) => {
  t.is(tanhFromExp(0, 1), 0);
  t.true(Object.is(tanhFromExp(-0, 1), -0));
  t.is(tanhFromExp(200, 0), 1);
  t.is(tanhFromExp(-200, 0), -1);
  t.is(tanhFromExp(Infinity, 0), 1);
  t.is(tanhFromExp(-Infinity, 0), -1);
  t.true(Number.isNaN(tanhFromExp(NaN, NaN)));
  t.is(tanhFromExp(-0.7, Math.exp(-1.4)), -tanhFromExp(0.7, Math.exp(-1.4)));
});

test('sigmoid from e^{-x}: within 1 float32 ulp of the float64 sigmoid; 0 and 1 at the ends, NaN through', (t) => {
  const rand = prng(11);
  let worst = 0;
  for (let i = 0; i < 200_000; i++) {
    const x = Math.fround((rand() - 0.5) * 80);
    worst = Math.max(worst, ulps(Math.fround(sigmoidFromExp(Math.fround(Math.exp(-x)))), Math.fround(1 / (1 + Math.exp(-x)))));
  }
  t.true(worst <= 1, `worst ${worst} ulps`);
  t.is(sigmoidFromExp(Infinity), 0);
  t.is(sigmoidFromExp(0), 1);
  t.is(sigmoidFromExp(1), 0.5);
  t.true(Number.isNaN(sigmoidFromExp(NaN)));
});
