import test, { type ExecutionContext } from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import {
  ErrorCodes,
  GraftError,
  PARAMS_FILE,
  STATE_FILE,
  createTrainer,
  decodeSafetensors,
  encodeSafetensors,
  readCheckpoint,
  silentLogger,
  type Trainer,
} from '../../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';
import { MomentumSgd } from '../../plugins/checkpoints/momentumSgd.ts';
import { edit, readManifest, reseal, tensor, writeManifest } from './corrupt.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const VELOCITY = 'optimizer:test-momentum/head.out.kernel';

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-integrity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function build(seed: number, logger = silentLogger()): Trainer {
  return createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new MomentumSgd(), new ToyDataset({ batches: 4 })],
    options: { seed, epochs: 1, maxSteps: 2 },
    logger,
  });
}

/** A checkpoint after 2 steps (seed 1), with optimizer state. */
async function writeCheckpoint(t: ExecutionContext): Promise<string> {
  const dir = path.join(tempDir(t), 'ck');
  const a = build(1);
  await a.fit();
  await a.save(dir);
  a.dispose();
  return dir;
}

/** Every byte of every parameter, the optimizer's velocities and the run position. */
function snapshot(tr: Trainer): Record<string, unknown> {
  const out: Record<string, unknown> = { step: tr.state.step, epoch: tr.state.epoch, batchInEpoch: tr.state.batchInEpoch };
  for (const n of tr.params.names()) {
    const d = tr.params.get(n).dataSync();
    out[n] = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
  }
  const opt = tr.plugin<MomentumSgd>('optimizer:test-momentum')!;
  for (const [k, v] of Object.entries(opt.velocities())) out[`velocity/${k}`] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return out;
}

/**
 * A trainer that differs from the checkpoint everywhere (another seed, one step trained, so it
 * has velocities too) tries to load `dir`: the load must fail with GRAFT_ERR_CHECKPOINT matching
 * `message`, and leave every parameter, velocity and the run position bit-identical.
 */
async function refusedUnchanged(t: ExecutionContext, dir: string, message: RegExp): Promise<GraftError> {
  const tr = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new MomentumSgd(), new ToyDataset({ batches: 4 })],
    options: { seed: 7, epochs: 1, maxSteps: 1 },
    logger: silentLogger(),
  });
  try {
    await tr.fit();
    const before = snapshot(tr);
    const e = await t.throwsAsync(() => tr.load(dir), { instanceOf: GraftError });
    t.is(e!.code, ErrorCodes.CHECKPOINT, e!.message);
    t.regex(e!.message, message);
    t.deepEqual(snapshot(tr), before, 'the failed load changed the model');
    return e!;
  } finally {
    tr.dispose();
  }
}

test('the manifest records each tensor file’s size and SHA-256; an intact checkpoint loads', async (t) => {
  const dir = await writeCheckpoint(t);
  const m = readManifest(dir);
  for (const f of [PARAMS_FILE, STATE_FILE]) {
    const bytes = readFileSync(path.join(dir, f));
    t.is(m.files![f]!.bytes, bytes.length);
    t.regex(m.files![f]!.sha256, /^[0-9a-f]{64}$/);
  }
  const tr = build(3);
  await tr.load(dir);
  t.is(tr.state.step, 2);
  tr.dispose();
});

test('a flipped data byte is refused by its checksum, naming the file; the model is unchanged', async (t) => {
  const dir = await writeCheckpoint(t);
  const file = path.join(dir, PARAMS_FILE);
  const buf = readFileSync(file);
  buf[buf.length - 3]! ^= 0x10; // inside the last tensor's data: still a valid safetensors file
  writeFileSync(file, buf);
  t.notThrows(() => decodeSafetensors(buf, file), 'the damage is invisible to the layout checks');
  await refusedUnchanged(t, dir, /params\.safetensors: SHA-256 [0-9a-f]{64} does not match the manifest's/);
});

test('a file cut short is refused by its recorded size, naming the file', async (t) => {
  const dir = await writeCheckpoint(t);
  const file = path.join(dir, STATE_FILE);
  const buf = readFileSync(file);
  writeFileSync(file, buf.subarray(0, buf.length - 8));
  await refusedUnchanged(t, dir, new RegExp(`state\\.safetensors: file has ${buf.length - 8} bytes but the manifest records ${buf.length} \\(truncated`));
});

test('a tensor removed from the file is refused: by the checksum, by the manifest list, and by a full load naming the model parameter; select still loads the rest', async (t) => {
  const dir = await writeCheckpoint(t);
  const file = path.join(dir, PARAMS_FILE);
  const name = 'head.out.kernel'; // last in offset order: its bytes are the end of the data
  edit(file, (raw) => {
    const [b] = tensor(raw, name).data_offsets;
    delete raw.header[name];
    raw.data = raw.data.subarray(0, b);
  });
  t.notThrows(() => decodeSafetensors(readFileSync(file), file), 'still a valid safetensors file');
  await refusedUnchanged(t, dir, /params\.safetensors: file has \d+ bytes but the manifest records \d+/);
  // Checksums recomputed (a hand-made file): the manifest still lists the parameter.
  reseal(dir);
  await refusedUnchanged(t, dir, /params\.safetensors: parameter "head\.out\.kernel" is listed in the manifest but missing from the file/);
  // The manifest forgets it too: the model still has it, and its owner (model:toy) is in the checkpoint.
  reseal(dir, (m) => void delete m.params[name]);
  const e = await refusedUnchanged(t, dir, /params\.safetensors: model parameter "head\.out\.kernel" is missing from the checkpoint/);
  t.regex(e.message, /select/, 'the hint names the partial load');
  // A partial load is asked for explicitly.
  const tr = build(9);
  await tr.setup();
  const kernel = tr.params.get(name).dataSync().slice();
  await tr.load(dir, { select: 'backbone.**' });
  t.deepEqual(tr.params.get(name).dataSync(), kernel, 'left as built');
  tr.dispose();
});

test('overlapping data_offsets are refused naming both tensors; the model is unchanged', async (t) => {
  const dir = await writeCheckpoint(t);
  edit(path.join(dir, PARAMS_FILE), (raw) => {
    const h = tensor(raw, 'head.out.kernel');
    h.data_offsets = [h.data_offsets[0] - 4, h.data_offsets[1] - 4]; // 4 bytes into head.out.bias
  });
  reseal(dir);
  await refusedUnchanged(t, dir, /params\.safetensors: not a valid safetensors file: tensor "head\.out\.kernel" \(bytes \d+-\d+\) overlaps tensor "head\.out\.bias"/);
});

test('an I32 dtype for a float parameter is refused before anything is assigned (the model is unchanged)', async (t) => {
  const dir = await writeCheckpoint(t);
  // The last parameter assigned: every other one would have been overwritten before a tfjs error.
  edit(path.join(dir, PARAMS_FILE), (raw) => void (tensor(raw, 'head.out.kernel').dtype = 'I32'));
  reseal(dir);
  await refusedUnchanged(t, dir, /params\.safetensors: parameter "head\.out\.kernel" is int32 in the checkpoint but float32 in the model/);
});

test('an I32 dtype for a float optimizer state tensor is refused before anything is assigned', async (t) => {
  const dir = await writeCheckpoint(t);
  edit(path.join(dir, STATE_FILE), (raw) => void (tensor(raw, VELOCITY).dtype = 'I32'));
  reseal(dir);
  await refusedUnchanged(t, dir, /state\.safetensors: state tensor "optimizer:test-momentum\/head\.out\.kernel" is int32 in the checkpoint but float32 in plugin "optimizer:test-momentum"/);
});

for (const [what, file, name] of [
  ['a parameter', PARAMS_FILE, 'backbone.proj.kernel'],
  ['an optimizer state tensor', STATE_FILE, VELOCITY],
] as const) {
  for (const bad of [NaN, Infinity]) {
    test(`${bad} in ${what} is refused naming the file and the tensor; the model is unchanged`, async (t) => {
      const dir = await writeCheckpoint(t);
      edit(path.join(dir, file), (raw) => {
        const [b] = tensor(raw, name).data_offsets;
        raw.data.writeFloatLE(bad, b + 4);
      });
      reseal(dir);
      const e = await refusedUnchanged(t, dir, new RegExp(`${file.replace('.', '\\.')}: .*"${name.replace(/[.]/g, '\\.')}" holds ${bad} at index 1 \\(1 of \\d+ values non-finite\\)`));
      t.true(e.message.includes(path.join(dir, file)), 'the full path of the file');
      t.throws(() => readCheckpoint(dir), { message: /non-finite/ }, 'readCheckpoint (init:from-checkpoint, inspection) refuses it too');
    });
  }
}

test('a plugin state tensor listed in the manifest but missing from the file is refused before anything is assigned', async (t) => {
  const dir = await writeCheckpoint(t);
  edit(path.join(dir, STATE_FILE), (raw) => {
    // Drop the velocity and close the gap it leaves, keeping the layout valid.
    const [b, e] = tensor(raw, VELOCITY).data_offsets;
    delete raw.header[VELOCITY];
    for (const [k, h] of Object.entries(raw.header)) {
      if (k === '__metadata__') continue;
      const o = (h as { data_offsets: [number, number] }).data_offsets;
      if (o[0] >= e) o.splice(0, 2, o[0] - (e - b), o[1] - (e - b));
    }
    raw.data = Buffer.concat([raw.data.subarray(0, b), raw.data.subarray(e)]);
  });
  reseal(dir);
  await refusedUnchanged(t, dir, /state\.safetensors: state tensor "optimizer:test-momentum\/head\.out\.kernel" of plugin "optimizer:test-momentum" is listed in the manifest but missing/);
});

test('a checkpoint without checksums (an older Graft) loads, with a warning', async (t) => {
  const dir = await writeCheckpoint(t);
  const m = readManifest(dir);
  delete m.files;
  writeManifest(dir, m);
  const lines: string[] = [];
  const logger = winston.createLogger({
    level: 'info',
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) })],
  });
  const tr = build(3, logger);
  await tr.load(dir);
  t.is(tr.state.step, 2);
  t.true(lines.some((l) => /no checksums \(written by an older Graft\)/.test(l) && l.includes('"level":"warn"')), lines.join('\n'));
  tr.dispose();
});

test('a damaged checksum record in the manifest is refused naming the manifest', async (t) => {
  const dir = await writeCheckpoint(t);
  const m = readManifest(dir);
  m.files![PARAMS_FILE]!.sha256 = 'not hex';
  writeManifest(dir, m);
  await refusedUnchanged(t, dir, /manifest\.json: manifest entry for params\.safetensors is malformed/);
});

test('decodeSafetensors checks every header field and that the tensors tile the data exactly', (t) => {
  const good = encodeSafetensors({
    a: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
    b: { dtype: 'int32', shape: [1], data: new Int32Array([3]) },
  });
  t.notThrows(() => decodeSafetensors(good, 'x.safetensors'));
  const cases: [string, (raw: { header: Record<string, any>; data: Buffer }) => void, RegExp][] = [
    ['a gap between tensors', (r) => ((r.header.b.data_offsets = [12, 16]), (r.data = Buffer.concat([r.data, Buffer.alloc(4)]))), /bytes 8-12 of the data belong to no tensor \(before tensor "b"\)/],
    ['bytes after the last tensor', (r) => void (r.data = Buffer.concat([r.data, Buffer.alloc(4)])), /4 bytes after the last tensor belong to no tensor/],
    ['offsets ending before they begin', (r) => void (r.header.a.data_offsets = [8, 0]), /tensor "a" has data_offsets \[8, 0\] that end before they begin/],
    ['offsets past the end', (r) => void (r.header.b.data_offsets = [8, 16]), /tensor "b" runs past the end of the file/],
    ['a negative shape', (r) => void (r.header.a.shape = [-2]), /tensor "a" has a malformed shape \[-2\]/],
    ['a fractional offset', (r) => void (r.header.a.data_offsets = [0, 7.5]), /tensor "a" has malformed data_offsets/],
    ['an unknown dtype', (r) => void (r.header.a.dtype = 'F16'), /tensor "a" has unsupported dtype "F16"/],
    ['a bytes/shape mismatch', (r) => void (r.header.a.shape = [3]), /tensor "a" has 8 bytes for shape \[3\]/],
    ['an entry that is not an object', (r) => void (r.header.a = 5), /tensor "a" is not an object/],
    ['metadata that is not strings', (r) => void (r.header.__metadata__ = { n: 1 }), /"__metadata__" is not an object of strings/],
    ['a header that is not an object', (r) => void (r.header = [1] as never), /header is not a JSON object/],
  ];
  for (const [what, damage, message] of cases) {
    const n = Number(good.readBigUInt64LE(0));
    const raw = { header: JSON.parse(good.subarray(8, 8 + n).toString()), data: Buffer.from(good.subarray(8 + n)) };
    damage(raw);
    let json = Buffer.from(JSON.stringify(raw.header));
    json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const e = t.throws(() => decodeSafetensors(Buffer.concat([len, json, raw.data]), 'x.safetensors'), { instanceOf: GraftError }, what);
    t.is(e!.code, ErrorCodes.CHECKPOINT, what);
    t.regex(e!.message, /^file x\.safetensors: not a valid safetensors file: /, what);
    t.regex(e!.message, message, what);
  }
});
