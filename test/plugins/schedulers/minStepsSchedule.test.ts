import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ConsoleProgressLogger } from '../../../plugins/loggers/index.ts';
import { OneCycleScheduler, SlantedTriangularScheduler, oneCycle, slantedTriangular } from '../../../plugins/schedulers/index.ts';
import { recordRates } from './lrRates.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const rates = recordRates;

const ONE_CYCLE = { pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4 };

test('one-cycle over a run raised by minSteps (1 epoch asked, 10 steps of 4 batches: 3 epochs) is the 3-epoch schedule, step by step', async (t) => {
  const raised = await rates(new OneCycleScheduler(), { epochs: 1, minSteps: 10 });
  const explicit = await rates(new OneCycleScheduler(), { epochs: 3 });
  t.is(raised.length, 12);
  t.deepEqual(raised, explicit);
  // Hand-checkable: total steps 3 × 4 = 12, not the 4 of the epoch asked for.
  raised.forEach((r, s) => t.true(Math.abs(r - 0.02 * oneCycle(s, 12, ONE_CYCLE)) < 1e-15, `step ${s}`));
  t.notDeepEqual(raised.slice(0, 4), await rates(new OneCycleScheduler(), { epochs: 1 }));
});

test('slanted triangular over a raised run capped by maxSteps: total steps min(9, 3 × 4) = 9', async (t) => {
  const f = { cutFrac: 0.25, ratio: 4 };
  const capped = await rates(new SlantedTriangularScheduler(f), { epochs: 1, minSteps: 10, maxSteps: 9 });
  t.deepEqual(capped, await rates(new SlantedTriangularScheduler(f), { epochs: 3, maxSteps: 9 }));
  t.deepEqual(capped, Array.from({ length: 9 }, (_, s) => 0.02 * slantedTriangular(s, 9, f)));
});

test('console-progress sizes its line from the raised epochs: step 1/12, epoch 1/3', async (t) => {
  const out: string[] = [];
  const progress = new ConsoleProgressLogger({ mode: 'bar', everyMs: 0, barWidth: 0 }, { stream: { write: (s: string) => out.push(s), isTTY: true, columns: 400 }, now: () => 0 });
  await rates(new OneCycleScheduler(), { epochs: 1, minSteps: 10 }, [progress]);
  const lines = out.map((s) => s.replace('\r\x1b[K', '')).filter((s) => s.startsWith('step '));
  t.true(lines[0]!.startsWith('step 1/12 '), lines[0]);
  t.regex(lines[0]!, /\| epoch 1\/3 \|/);
  t.regex(lines.at(-1)!, /^step 12\/12 .*\| epoch 3\/3 \|/);
});
