import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, silentLogger, type GraftPlugin } from '../../core/index.ts';
import { toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

function lossRecorder(losses: number[]): GraftPlugin {
  return {
    meta: { name: 'logger:losses', kind: 'logger' },
    apply(t) {
      t.tap('afterStep', this, async (ctx) => void losses.push((await ctx.loss!.data())[0]!), { stage: 'observe' });
    },
  };
}

async function run(seed: number): Promise<number[]> {
  const losses: number[] = [];
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), lossRecorder(losses)], options: { seed, epochs: 2 }, logger: silentLogger() });
  await tr.fit();
  tr.dispose();
  return losses;
}

test('the same seed gives the same losses; another seed gives others', async (t) => {
  const a = await run(3);
  const b = await run(3);
  const c = await run(4);
  t.is(a.length, 8);
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
});

// serial: ava runs a file's tests concurrently, and tf.memory() counts every test's tensors
test.serial('tensor count stays flat across steps, evaluation and saving', async (t) => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'graft-leak-')), 'ck');
  const counts: number[] = [];
  const probe: GraftPlugin = {
    meta: { name: 'callback:probe', kind: 'callback' },
    apply(tr) {
      tr.tap('afterEpoch', this, async () => {
        await tr.evaluate();
        await tr.save(dir);
        counts.push(tf.memory().numTensors);
      });
    },
  };
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 5 }), probe], options: { epochs: 6 }, logger: silentLogger() });
  await tr.fit();
  t.is(counts.length, 6);
  t.true(counts.every((c) => c === counts[0]), `counts ${counts}`);
  tr.dispose();
  t.is(tf.memory().numTensors, 0);
});
