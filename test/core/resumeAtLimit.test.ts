import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, silentLogger } from '../../core/index.ts';
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
