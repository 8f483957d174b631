import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ErrorCodes,
  GraftError,
  createTrainer,
  decodeSafetensors,
  encodeSafetensors,
  readCheckpoint,
  resolveCheckpointDir,
  silentLogger,
  writeDirAtomic,
} from '../../core/index.ts';
import { toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const tmp = () => mkdtempSync(path.join(tmpdir(), 'graft-ckpt-'));

test('safetensors round-trips names, shapes, dtypes and values; the header is 8-byte aligned', (t) => {
  const buf = encodeSafetensors(
    { 'b.x': { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 1e-8]) }, a: { dtype: 'int32', shape: [3], data: new Int32Array([7, -1, 0]) } },
    { format: 'graft' },
  );
  const n = Number(buf.readBigUInt64LE(0));
  t.is(n % 8, 0);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString());
  t.deepEqual(header.a, { dtype: 'I32', shape: [3], data_offsets: [0, 12] });
  t.deepEqual(header['b.x'], { dtype: 'F32', shape: [2, 2], data_offsets: [12, 28] });
  const back = decodeSafetensors(buf);
  t.deepEqual(Array.from(back.arrays['b.x']!.data), Array.from(new Float32Array([1, -2, 3.5, 1e-8])));
  t.deepEqual(Array.from(back.arrays.a!.data), [7, -1, 0]);
  t.is(back.metadata.format, 'graft');
  const e = t.throws(() => decodeSafetensors(buf.subarray(0, buf.length - 4), 'x.safetensors'), { instanceOf: GraftError });
  t.regex(e.message, /x\.safetensors.*truncated/);
});

test('save then load into a fresh trainer gives identical logits; warm start loads only the selection', async (t) => {
  const dir = path.join(tmp(), 'ck');
  const a = createTrainer({ plugins: toyPlugins({ batches: 3 }), options: { seed: 1, epochs: 1 }, logger: silentLogger() });
  await a.fit();
  await a.save(dir);
  const probe = { inputs: tf.tensor2d([[1, 2, 3]], [1, 3], 'int32') };
  const la = await (a.forward(probe).logits!).data();

  const b = createTrainer({ plugins: toyPlugins({ batches: 3 }), options: { seed: 99, epochs: 1 }, logger: silentLogger() });
  await b.load(dir);
  t.deepEqual(await (b.forward(probe).logits!).data(), la);
  t.is(b.state.step, 3);

  const c = createTrainer({ plugins: toyPlugins({ batches: 3 }), options: { seed: 99 }, logger: silentLogger() });
  await c.setup();
  const headBefore = await c.params.get('head.out.kernel').data();
  await c.load(dir, { select: 'backbone.**' });
  t.deepEqual(await c.params.get('backbone.embed').data(), await a.params.get('backbone.embed').data());
  t.deepEqual(await c.params.get('head.out.kernel').data(), headBefore);
  t.is(c.state.step, 0, 'a warm start does not take the old run position');
  for (const x of [a, b, c]) x.dispose();
  tf.dispose(probe.inputs);
});

test('shape mismatches and unknown parameters are errors naming the parameter', async (t) => {
  const dir = path.join(tmp(), 'ck');
  const a = createTrainer({ plugins: toyPlugins(), logger: silentLogger() });
  await a.save(dir);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  t.is(manifest.format, 'graft-checkpoint');
  const { ToyModel, ToyObjective, ToySgd, ToyDataset } = await import('../helpers/toy.ts');
  const wide = createTrainer({ plugins: [new ToyModel({ dim: 4 }), new ToyObjective(), new ToySgd(), new ToyDataset()], logger: silentLogger() });
  const e = await t.throwsAsync(() => wide.load(dir), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.CHECKPOINT);
  t.regex(e.message, /"backbone.embed" has shape \[11,8\] in the checkpoint but \[11,4\] in the model/);
  const missing = await t.throwsAsync(() => wide.load(path.join(tmp(), 'nothing')), { instanceOf: GraftError });
  t.regex(missing.message, /no checkpoint here/);
  a.dispose();
  wide.dispose();
});

test('an interrupted save leaves the previous checkpoint readable', async (t) => {
  const root = tmp();
  const dir = path.join(root, 'ck');
  await writeDirAtomic(dir, { 'a.txt': 'v1', 'manifest.json': '{}' });
  // Simulate a kill after the old folder was moved aside but before the new one was renamed in.
  const tag = 'x';
  mkdirSync(path.join(root, `ck.tmp-${tag}`));
  writeFileSync(path.join(root, `ck.tmp-${tag}`, 'a.txt'), 'half');
  const { renameSync } = await import('node:fs');
  renameSync(dir, path.join(root, `ck.old-${tag}`));
  t.false(existsSync(dir));
  const found = resolveCheckpointDir(dir)!;
  t.is(readFileSync(path.join(found, 'a.txt'), 'utf8'), 'v1');
  // The next save cleans up the leftover temporary folder and writes a fresh one.
  await writeDirAtomic(dir, { 'a.txt': 'v2', 'manifest.json': '{}' });
  t.is(readFileSync(path.join(resolveCheckpointDir(dir)!, 'a.txt'), 'utf8'), 'v2');
  t.false(existsSync(path.join(root, `ck.tmp-${tag}`)));
  t.throws(() => readCheckpoint(path.join(root, 'none')), { instanceOf: GraftError });
});
