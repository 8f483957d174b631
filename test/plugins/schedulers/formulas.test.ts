import test from 'ava';
import { constant, oneCycle, slantedTriangular, totalSteps, warmupCosine, warmupLinear } from '../../../plugins/schedulers/index.ts';

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test('slanted triangular matches ULMFiT eq. 3 (T=1000, cutFrac 0.1, ratio 32)', (t) => {
  const o = { cutFrac: 0.1, ratio: 32 };
  // cut = 100; rise t/100 then fall over 100·(10-1) = 900 steps.
  t.true(near(slantedTriangular(0, 1000, o), 1 / 32));
  t.true(near(slantedTriangular(50, 1000, o), (1 + 0.5 * 31) / 32));
  t.true(near(slantedTriangular(100, 1000, o), 1));
  t.true(near(slantedTriangular(550, 1000, o), (1 + (1 - 450 / 900) * 31) / 32));
  t.true(near(slantedTriangular(1000, 1000, o), 1 / 32));
  t.true(near(slantedTriangular(1500, 1000, o), 1 / 32), 'clamped past T');
  // Too short for a rise (cut = 0): decays from lrMax over T steps.
  t.true(near(slantedTriangular(0, 5, o), 1));
  t.true(near(slantedTriangular(5, 5, o), 1 / 32));
});

test('warmup-cosine: (step+1)/warmup, then half a cosine to minLrRatio', (t) => {
  const o = { warmupSteps: 10, warmupFraction: 0, minLrRatio: 0.1 };
  t.true(near(warmupCosine(0, 100, o), 0.1));
  t.true(near(warmupCosine(4, 100, o), 0.5));
  t.true(near(warmupCosine(9, 100, o), 1));
  t.true(near(warmupCosine(10, 100, o), 1));
  t.true(near(warmupCosine(55, 100, o), 0.1 + 0.9 * 0.5)); // progress 0.5: cos(π/2) = 0
  t.true(near(warmupCosine(100, 100, o), 0.1));
  t.true(near(warmupCosine(32.5, 100, o), 0.1 + 0.9 * 0.5 * (1 + Math.SQRT1_2))); // progress 0.25: cos(π/4)
  // warmupFraction 0.2 of 50 steps is 10 steps, the same schedule stretched.
  const f = { warmupFraction: 0.2, minLrRatio: 0 };
  t.true(near(warmupCosine(4, 50, f), 0.5));
  t.true(near(warmupCosine(30, 50, f), 0.5));
  // warmupSteps 0 given explicitly: no warm-up even with a fraction.
  t.true(near(warmupCosine(0, 50, { warmupSteps: 0, warmupFraction: 0.2, minLrRatio: 0 }), 1));
});

test('warmup-linear: (step+1)/warmup, then a straight line to minLrRatio', (t) => {
  t.true(near(warmupLinear(4, 100, { warmupSteps: 10, warmupFraction: 0, minLrRatio: 0 }), 0.5));
  t.true(near(warmupLinear(55, 100, { warmupSteps: 10, warmupFraction: 0, minLrRatio: 0 }), 0.5));
  t.true(near(warmupLinear(100, 100, { warmupSteps: 10, warmupFraction: 0, minLrRatio: 0 }), 0));
  t.true(near(warmupLinear(55, 100, { warmupSteps: 10, warmupFraction: 0, minLrRatio: 0.2 }), 1 - 0.8 * 0.5));
  t.true(near(warmupLinear(100, 100, { warmupSteps: 10, warmupFraction: 0, minLrRatio: 0.2 }), 0.2));
});

test('one-cycle: peak/25 → peak over 25% (cosine), then → peak/(25·1e4)', (t) => {
  const o = { pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4 };
  t.true(near(oneCycle(0, 100, o), 1 / 25));
  // 40% into the rise: 1 + (1/25 - 1)(1 + cos(0.4π))/2
  t.true(near(oneCycle(10, 100, o), 1 + ((1 / 25 - 1) * (1 + Math.cos(0.4 * Math.PI))) / 2));
  t.true(near(oneCycle(25, 100, o), 1));
  // Half-way down: the mean of peak and the final rate.
  t.true(near(oneCycle(625, 1000, o), (1 + 1 / 25 / 1e4) / 2));
  t.true(near(oneCycle(100, 100, o), 1 / 25 / 1e4));
});

test('constant is 1; total steps: override, then maxSteps, then epochs × batches', (t) => {
  t.is(constant(7, 10), 1);
  t.is(totalSteps({ override: 0, maxSteps: 0, epochs: 3, batchesPerEpoch: 4 }), 12);
  t.is(totalSteps({ override: 0, maxSteps: 5, epochs: 3, batchesPerEpoch: 4 }), 5);
  t.is(totalSteps({ override: 9, maxSteps: 5, epochs: 3, batchesPerEpoch: 4 }), 9);
  t.is(totalSteps({ override: 0, maxSteps: 0, epochs: 0, batchesPerEpoch: 4 }), 1);
});

test('warm-up longer than the schedule is clamped to it: the last step reaches the peak', (t) => {
  // 30 warm-up steps in a 20-step run: as 20 warm-up steps, (step+1)/20.
  for (const f of [warmupCosine, warmupLinear]) {
    const o = { warmupSteps: 30, warmupFraction: 0, minLrRatio: 0.1 };
    t.true(near(f(0, 20, o), 1 / 20));
    t.true(near(f(19, 20, o), 1));
    t.true(near(f(9, 20, o), f(9, 20, { ...o, warmupSteps: 20 })));
  }
  // Not longer than the schedule: unchanged.
  t.true(near(warmupCosine(9, 100, { warmupSteps: 30, warmupFraction: 0, minLrRatio: 0 }), 10 / 30));
});
