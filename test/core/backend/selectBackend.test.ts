/**
 * Backend selection: auto order and skip reasons, explicit choice without fallback, env
 * overrides, idempotence, the fastKernels switch and wasm's process listeners.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { graftKernelNames, selectBackend, type BackendLogger } from '../../../core/backend/index.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
// These tests describe this machine, where tfjs-node cannot be installed.
const noTfjsNode = !installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu');
const testNoNode = noTfjsNode ? test.serial : test.serial.skip;

/** Stock kernels as registered by tfjs-backend-wasm, before graft touched anything. */
const stockBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');
const stockOneHot = tf.getKernel('OneHot', 'wasm');

function recorder() {
  const infos: [string, object | undefined][] = [];
  const warns: [string, object | undefined][] = [];
  const logger: BackendLogger = {
    info: (msg, meta) => { infos.push([msg, meta]); },
    warn: (msg, meta) => { warns.push([msg, meta]); },
  };
  return { logger, infos, warns };
}

async function withEnv<T>(vars: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map(k => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v == null) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v == null) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const listeners = () => ({
  uncaughtException: process.listeners('uncaughtException'),
  unhandledRejection: process.listeners('unhandledRejection'),
});

test.before(() => {
  delete process.env.GRAFT_BACKEND;
  delete process.env.GRAFT_FAST_KERNELS;
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

// Must run first: it is the process's first wasm initialisation.
test.serial('initialising wasm leaves the process crash listeners as they were', async t => {
  const before = listeners();
  const info = await selectBackend({ prefer: 'wasm' });
  t.is(info.tfjsBackend, 'wasm');
  t.deepEqual(listeners(), before);
  const sources = [...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')]
    .map(fn => fn.toString());
  t.false(sources.some(src => src.includes('ExitStatus') || /throw reason/.test(src)));
});

testNoNode('auto picks wasm here and says why each node backend was skipped', async t => {
  const { logger, infos, warns } = recorder();
  const info = await selectBackend({ logger });
  t.is(info.name, 'wasm');
  t.is(info.tfjsBackend, 'wasm');
  t.is(tf.getBackend(), 'wasm');
  t.deepEqual(info.skipped.map(s => s.name), ['node-gpu', 'node']);
  for (const s of info.skipped) t.regex(s.reason, /^not installed \(.*tfjs-node/);
  for (const k of ['UnsortedSegmentSum', 'OneHot', 'BatchMatMul', 'Sum', 'Mean', 'Tanh', 'Exp', 'Conv2DBackpropFilter',
    'ClipByValue', 'Slice', 'Unpack', 'SplitV', 'StridedSlice', 'Identity']) {
    t.true(info.kernels.includes(k), `kernels should include ${k}`);
  }
  t.is(infos.length, 1);
  t.regex(infos[0][0], /using backend 'wasm'/);
  t.is(warns.length, 0, 'absent optional packages are not warnings');
});

test.serial('calling twice is harmless and returns the same answer', async t => {
  const first = await selectBackend();
  const config = tf.getKernel('BatchMatMul', 'wasm');
  const [second, third] = await Promise.all([selectBackend(), selectBackend()]);
  t.deepEqual(second, first);
  t.deepEqual(third, first);
  t.is(tf.getKernel('BatchMatMul', 'wasm'), config, 'kernels are not re-registered');
});

testNoNode('an explicit backend that cannot load throws, naming it, without falling back', async t => {
  await selectBackend({ prefer: 'wasm' });
  for (const name of ['node', 'node-gpu'] as const) {
    const err = await t.throwsAsync(selectBackend({ prefer: name }));
    t.regex(err!.message, new RegExp(`backend '${name}' could not be loaded: not installed`));
    t.is(tf.getBackend(), 'wasm', 'backend unchanged');
  }
  await withEnv({ GRAFT_BACKEND: 'node' }, async () => {
    await t.throwsAsync(selectBackend(), { message: /backend 'node' could not be loaded/ });
  });
});

test.serial('GRAFT_BACKEND overrides auto; opts.prefer overrides GRAFT_BACKEND', async t => {
  await withEnv({ GRAFT_BACKEND: 'cpu' }, async () => {
    const info = await selectBackend();
    t.is(info.name, 'cpu');
    t.is(tf.getBackend(), 'cpu');
    t.deepEqual(info.skipped, []);
    t.deepEqual([...info.kernels].sort(), ['Exp', 'Mean', 'Sum', 'Tanh', 'Transpose', 'UnsortedSegmentSum']);
    t.is((await selectBackend({ prefer: 'wasm' })).name, 'wasm');
  });
  await withEnv({ GRAFT_BACKEND: ' WASM ' }, async () => {
    t.is((await selectBackend()).name, 'wasm');
  });
});

test.serial('unknown backend names are errors, not a silent auto', async t => {
  await withEnv({ GRAFT_BACKEND: 'webgpu' }, async () => {
    await t.throwsAsync(selectBackend(), { message: /GRAFT_BACKEND: unknown backend 'webgpu'/ });
  });
  await t.throwsAsync(selectBackend({ prefer: 'tpu' as never }), { message: /unknown backend 'tpu'/ });
  await withEnv({ GRAFT_FAST_KERNELS: 'maybe' }, async () => {
    await t.throwsAsync(selectBackend({ prefer: 'wasm' }), { message: /GRAFT_FAST_KERNELS/, code: 'GRAFT_ERR_CONFIG' });
  });
});

test.serial('fastKernels:false and GRAFT_FAST_KERNELS=0 keep only the kernels training needs', async t => {
  const required = ['UnsortedSegmentSum', 'OneHot', 'ClipByValue', 'StridedSlice', 'Conv2DBackpropFilter',
    'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'Einsum'].sort();
  const off = await selectBackend({ prefer: 'wasm', fastKernels: false });
  t.deepEqual([...off.kernels].sort(), required);
  t.is(tf.getKernel('BatchMatMul', 'wasm'), stockBatchMatMul, 'stock BatchMatMul restored');
  t.not(tf.getKernel('OneHot', 'wasm'), stockOneHot, 'the OneHot fix stays');

  await withEnv({ GRAFT_FAST_KERNELS: '0' }, async () => {
    t.deepEqual([...(await selectBackend({ prefer: 'wasm' })).kernels].sort(), required);
    // The option wins over the environment.
    t.true((await selectBackend({ prefer: 'wasm', fastKernels: true })).kernels.includes('BatchMatMul'));
  });
  const on = await selectBackend({ prefer: 'wasm' });
  t.true(on.kernels.includes('BatchMatMul'));
  t.not(tf.getKernel('BatchMatMul', 'wasm'), stockBatchMatMul);
  t.deepEqual(graftKernelNames('wasm'), on.kernels);
});

test.serial('a crash after wasm init prints the error, not tfjs-backend-wasm source', async t => {
  const fixture = fileURLToPath(new URL('./fixtures/crash.ts', import.meta.url));
  const crash = async (mode: string) => {
    const res = await run(process.execPath, ['--import=tsx', fixture, mode], { timeout: 60_000 })
      .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    return res;
  };
  // Control: plain tfjs leaves emscripten's rethrowing listeners installed.
  const [graft, plain] = await Promise.all([crash('graft'), crash('plain')]);
  t.is(graft.code, 1);
  t.regex(graft.stderr, /Error: graft-crash-marker/);
  t.notRegex(graft.stderr, /ExitStatus|tfjs-backend-wasm/);
  t.regex(plain.stderr, /graft-crash-marker/);
  t.regex(plain.stderr, /ExitStatus/, 'without graft Node prints the tfjs-backend-wasm source');
});
