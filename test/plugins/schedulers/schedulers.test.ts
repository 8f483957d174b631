import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, silentLogger } from '../../../core/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import {
  ConstantScheduler,
  OneCycleScheduler,
  SlantedTriangularScheduler,
  WarmupCosineScheduler,
  WarmupLinearScheduler,
  oneCycle,
  slantedTriangular,
  warmupCosine,
  warmupLinear,
} from '../../../plugins/schedulers/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';
import { recordRates } from './lrRates.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const run = recordRates;

const cases = [
  { make: () => new SlantedTriangularScheduler({ cutFrac: 0.25, ratio: 4 }), f: (s: number, T: number) => slantedTriangular(s, T, { cutFrac: 0.25, ratio: 4 }) },
  { make: () => new WarmupCosineScheduler({ warmupSteps: 3, minLrRatio: 0.1 }), f: (s: number, T: number) => warmupCosine(s, T, { warmupSteps: 3, warmupFraction: 0, minLrRatio: 0.1 }) },
  { make: () => new WarmupLinearScheduler({ warmupFraction: 0.25 }), f: (s: number, T: number) => warmupLinear(s, T, { warmupFraction: 0.25, minLrRatio: 0 }) },
  { make: () => new OneCycleScheduler(), f: (s: number, T: number) => oneCycle(s, T, { pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4 }) },
  { make: () => new ConstantScheduler(), f: () => 1 },
];

for (const c of cases) {
  const name = c.make().meta.name;
  test(`${name} sets peak × f(step, epochs × batches) before every optimizer step`, async (t) => {
    const rates = await run(c.make(), { epochs: 2 });
    t.is(rates.length, 8);
    rates.forEach((r, s) => t.true(Math.abs(r - 0.02 * c.f(s, 8)) < 1e-15, `step ${s}: ${r} vs ${0.02 * c.f(s, 8)}`));
  });
}

test('total steps come from maxSteps when set, and from the totalSteps option above all', async (t) => {
  const a = await run(new SlantedTriangularScheduler({ cutFrac: 0.4, ratio: 8 }), { epochs: 3, maxSteps: 5 });
  t.deepEqual(a, [0, 1, 2, 3, 4].map((s) => 0.02 * slantedTriangular(s, 5, { cutFrac: 0.4, ratio: 8 })));
  const b = await run(new SlantedTriangularScheduler({ cutFrac: 0.4, ratio: 8, totalSteps: 20 }), { epochs: 1 });
  t.deepEqual(b, [0, 1, 2, 3].map((s) => 0.02 * slantedTriangular(s, 20, { cutFrac: 0.4, ratio: 8 })));
});

test("the trainer's minSteps raises the epochs before the schedule is sized: 2 epochs asked, 10 steps of 4 batches = 3 epochs", async (t) => {
  const raised = await run(new SlantedTriangularScheduler({ cutFrac: 0.25, ratio: 4 }), { epochs: 2, minSteps: 10 });
  t.deepEqual(raised, await run(new SlantedTriangularScheduler({ cutFrac: 0.25, ratio: 4 }), { epochs: 3 }));
  t.is(raised.length, 12);
  // Capped by maxSteps as ever; epochs already enough are left alone.
  t.is((await run(new ConstantScheduler(), { epochs: 2, minSteps: 10, maxSteps: 9 })).length, 9);
  t.is((await run(new ConstantScheduler(), { epochs: 4, minSteps: 10 })).length, 16);
});

test('the scheduler has no state and writes no optimizer field: it hands a multiplier to the optimizer, which owns the rate', async (t) => {
  const s = new WarmupLinearScheduler({ warmupSteps: 0 });
  t.is((s as { getState?: unknown }).getState, undefined);
  t.is(s.multiplierAt(5, 10), 0.5);
  const opt = new AdamwOptimizer({ lr: 0.5 });
  opt.setLearningRateMultiplier(0.5);
  t.is(opt.baseLearningRate, 0.5);
  t.is(opt.learningRate, 0.25);
  t.deepEqual(opt.getState().json, { lrMultiplier: 0.5, steps: {} });
  // A checkpoint from before the multiplier (effective rate saved as learningRate) keeps its rate.
  const old = new AdamwOptimizer({ lr: 0.5 });
  old.setState({ json: { learningRate: 0.125, steps: {} } });
  t.is(old.learningRate, 0.125);
  t.is(old.baseLearningRate, 0.5);
});

test('a scheduler refuses an optimizer without setLearningRateMultiplier, naming it', async (t) => {
  const opt = { meta: { name: 'optimizer:bare', kind: 'optimizer' }, groups: [], learningRate: 0.1, apply() {}, groupRates: () => ({ default: 0.1 }), step() {} };
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToyDataset({ batches: 2 }), opt as never, new WarmupLinearScheduler()],
    options: { seed: 1, epochs: 1 },
    logger: silentLogger(),
  });
  const e = await t.throwsAsync(() => trainer.fit(), { instanceOf: GraftError });
  t.regex(e!.message, /optimizer:bare has no setLearningRateMultiplier/);
  trainer.dispose();
});

test('bad options name the option', (t) => {
  const bad = (make: () => unknown, option: string) => {
    const e = t.throws(make, { instanceOf: GraftError });
    t.true(e!.message.includes(`option "${option}"`), e!.message);
  };
  bad(() => new SlantedTriangularScheduler({ cutFrac: 1 }), 'cutFrac');
  bad(() => new SlantedTriangularScheduler({ cutFrac: 0 }), 'cutFrac');
  bad(() => new SlantedTriangularScheduler({ ratio: 0.5 }), 'ratio');
  bad(() => new OneCycleScheduler({ pctStart: 1 }), 'pctStart');
  bad(() => new OneCycleScheduler({ divFactor: 0 }), 'divFactor');
  bad(() => new WarmupCosineScheduler({ warmupSteps: 5, warmupFraction: 0.1 }), 'warmupFraction');
  bad(() => new WarmupCosineScheduler({ minLrRatio: 2 }), 'minLrRatio');
  bad(() => new WarmupLinearScheduler({ warmupSteps: -1 }), 'warmupSteps');
  bad(() => new ConstantScheduler({ lr: 1 } as never), 'lr');
  bad(() => new WarmupCosineScheduler({ totalSteps: 1.5 }), 'totalSteps');
});
