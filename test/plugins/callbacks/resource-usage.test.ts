import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, CoreResources, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { folderBytes, median, ResourceUsageCallback } from '../../../plugins/callbacks/index.ts';
import { ParamFreezing } from '../../../plugins/freezing/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('median and folderBytes by hand', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.true(Number.isNaN(median([])));
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-usage-'));
  try {
    writeFileSync(path.join(dir, 'a'), Buffer.alloc(10));
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'b'), Buffer.alloc(32));
    t.is(folderBytes(dir), 42);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Records the most bytes tfjs held at any hook of the step, to bound what the plugin sampled. */
class MemoryProbe implements GraftPlugin {
  readonly meta = { name: 'callback:memory-probe', kind: 'callback' } as const;
  max = 0;
  apply(t: TrainerApi): void {
    const s = () => void (this.max = Math.max(this.max, tf.memory().numBytes));
    t.tap('onLoss', this, (l) => (s(), l));
    t.tap('afterBackward', this, (g) => (s(), g));
    t.tap('afterStep', this, () => s(), { stage: 'observe' });
  }
}

test.serial('parameters that train, peak tensor bytes, step time and checkpoint bytes in the stage result', async (t) => {
  const usage = new ResourceUsageCallback();
  const probe = new MemoryProbe();
  // ToyModel: embed 11×8, proj 8×8 + 8, head 8×11 + 11 = 88 + 72 + 99 = 259 parameters; freezing
  // the backbone leaves the head's 99.
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(0.5), new ToyDataset({ batches: 4 }), new ParamFreezing({ pattern: 'backbone.**' }), usage, probe],
    options: { seed: 1, epochs: 2 },
    logger: silentLogger(),
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-usage-ck-'));
  try {
    await trainer.fit();
    const u = trainer.resources.get(CoreResources.stageResult) as Record<string, number>;
    t.is(u.total_parameters, 259);
    t.is(u.trainable_parameters, 99);
    // At least the parameters (float32) were held; never more than the probe saw.
    t.true(u.peak_tensor_bytes! >= 259 * 4, `${u.peak_tensor_bytes}`);
    t.true(u.peak_tensor_bytes! <= probe.max, `${u.peak_tensor_bytes} vs ${probe.max}`);
    t.true(u.step_seconds! > 0 && u.step_seconds! < 5);
    t.false("checkpoint_bytes" in u);
    await trainer.save(path.join(dir, 'ck'));
    const after = trainer.resources.get(CoreResources.stageResult) as Record<string, number>;
    t.is(after.checkpoint_bytes, folderBytes(path.join(dir, 'ck')));
    t.true(after.checkpoint_bytes! > 259 * 4);
  } finally {
    trainer.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
