import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, epochsForMinSteps, silentLogger } from '../../core/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('a run resumed from the checkpoint of its last step trains no further step', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-limit-'));
  try {
    const a = createTrainer({ plugins: toyPlugins({ batches: 8 }), options: { maxSteps: 4 }, logger: silentLogger() });
    await a.fit();
    t.is(a.state.step, 4);
    await a.save(dir);
    const before = await a.params.get('head.out.kernel').data();
    a.dispose();
    const b = createTrainer({ plugins: toyPlugins({ batches: 8 }), options: { maxSteps: 4 }, logger: silentLogger() });
    await b.resume(dir);
    const steps: number[] = [];
    b.tap('afterStep', 'test:probe', (ctx) => void steps.push(ctx.state.step));
    const r = await b.fit();
    t.deepEqual(steps, [], 'no step ran');
    t.is(r.stopReason, 'max-steps');
    t.is(b.state.step, 4);
    t.deepEqual(await b.params.get('head.out.kernel').data(), before);
    b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('epochsForMinSteps: epochs raised to ceil(minSteps / batches); 0 is off', (t) => {
  t.is(epochsForMinSteps(4, 40, 1), 40);
  t.is(epochsForMinSteps(4, 40, 2), 20);
  t.is(epochsForMinSteps(4, 41, 3), 14);
  t.is(epochsForMinSteps(4, 40, 31), 4);
  t.is(epochsForMinSteps(4, 80, 3), 27);
  t.is(epochsForMinSteps(4, 0, 3), 4);
  t.is(epochsForMinSteps(4, 10, 0), 4);
});

test('a run lengthened by minSteps resumes to the same end: same steps, same parameters', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-minsteps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const options = { epochs: 1, minSteps: 10, seed: 4 };
  const full = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), new PeriodicCheckpoint({ dir, every: 5, keep: 0, best: false })], options, logger: silentLogger() });
  const res = await full.fit();
  t.is(res.state.step, 12);
  t.is(res.stopReason, 'max-epochs');
  const resumed = createTrainer({ plugins: toyPlugins({ batches: 4 }), options, logger: silentLogger() });
  await resumed.resume(path.join(dir, 'step-5'));
  const again = await resumed.fit();
  t.is(again.state.step, 12);
  for (const n of full.params.names()) t.deepEqual(resumed.params.get(n).dataSync(), full.params.get(n).dataSync(), n);
  full.dispose();
  resumed.dispose();
});
