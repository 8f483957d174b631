import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, silentLogger, type GraftPlugin } from '../../core/index.ts';
import { toyPlugins } from './toy.ts';

/**
 * Tensor reads (`data()` / `dataSync()`, counted process-wide: call from a serial test) during
 * `fit()` of the toy recipe (4 batches, 2 epochs, no periodic finite check) with `extra` plugins,
 * minus those of the same run without them: the reads the plugins add, not the trainer's own.
 */
export async function readsAddedBy(extra: () => GraftPlugin[]): Promise<{ async: number; sync: number }> {
  const proto = tf.Tensor.prototype as unknown as { data: (...a: unknown[]) => Promise<unknown>; dataSync: (...a: unknown[]) => unknown };
  const { data, dataSync } = proto;
  const n = { async: 0, sync: 0 };
  proto.data = function (this: unknown, ...a: unknown[]) {
    n.async++;
    return data.apply(this, a);
  };
  proto.dataSync = function (this: unknown, ...a: unknown[]) {
    n.sync++;
    return dataSync.apply(this, a);
  };
  const run = async (plugins: GraftPlugin[]) => {
    const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), ...plugins], options: { epochs: 2, checkFiniteEvery: 0 }, logger: silentLogger() });
    await tr.setup();
    n.async = n.sync = 0;
    await tr.fit();
    tr.dispose();
    return { ...n };
  };
  try {
    const base = await run([]);
    const withExtra = await run(extra());
    return { async: withExtra.async - base.async, sync: withExtra.sync - base.sync };
  } finally {
    proto.data = data;
    proto.dataSync = dataSync;
  }
}
