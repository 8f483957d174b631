/**
 * Stock vs graft kernels, measured in the same process on the same inputs.
 *
 *   node --import=tsx bench/kernels.ts [--quick] [filter]
 *
 * For each case stock (graft's replacements switched off) and graft are timed interleaved on the
 * same inputs and their outputs compared. Prints one JSON document: per kernel/backend/shape the
 * best and median ms of both, the speedup (best vs best), GFLOP/s for matmuls, and the max abs
 * difference. Cases where stock has no kernel report stockMs null. Times are process CPU time
 * (see cpuMs), so other load on the machine distorts them far less than wall time would.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  GRAFT_KERNEL_SPECS, registerGraftKernels, selectBackend, unregisterGraftKernels, type GraftKernelSpec,
} from '../core/backend/index.ts';

interface Case {
  kernel: string;
  backend: 'wasm' | 'cpu';
  label: string;
  /** Floating point operations per run, for GFLOP/s (matmul only). */
  flops?: number;
  /** Stock kernel is missing on this backend: only graft is timed. */
  noStock?: boolean;
  /** A variant measured but not adopted (slower than stock): timed in place of graft's kernels. */
  candidate?: GraftKernelSpec;
  /** Measure stock with all graft kernels removed (fastKernels:false keeps 'fix' kernels). */
  fullStock?: boolean;
  inputs: () => tf.Tensor[];
  /** One output, or several (Unpack, SplitV): all are compared, concatenated. */
  run: (inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.find(a => !a.startsWith('--'));
const budgetMs = quick ? 150 : 400;

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/**
 * The rejected wasm Transpose: graft's cpu kernel (JS loops over the typed arrays, which work on
 * wasm's heap too) registered for wasm, so it keeps being measured against stock wasm.
 */
const transposeWasmCandidate: GraftKernelSpec = (() => {
  const cpu = GRAFT_KERNEL_SPECS.find(k => k.kernelName === 'Transpose' && k.backendName === 'cpu');
  if (cpu == null) throw new Error('bench/kernels: graft has no cpu Transpose kernel');
  return { ...cpu, backendName: 'wasm', create: stock => ({ ...cpu.create(stock), backendName: 'wasm' }) };
})();

const rand = seeded(42);
const randn = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rand() * 2 - 1;
  return tf.tensor(v, shape, 'float32');
};
const randInt = (n: number, max: number, min = 0) => {
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = min + Math.floor(rand() * (max - min));
  return tf.tensor1d(v, 'int32');
};
const randIntOf = (shape: number[], max: number, min = 0) =>
  tf.tidy(() => tf.reshape(randInt(shape.reduce((a, b) => a * b, 1), max, min), shape));

/** A wasm case of the slicing family (Slice, Unpack, SplitV, StridedSlice). */
const sliceCase = (kernel: string, label: string, shape: number[], run: Case['run'], extra: Partial<Case> = {}): Case =>
  ({ kernel, backend: 'wasm', label, inputs: () => [randn(shape)], run, ...extra });

function matmulCase(label: string, aShape: number[], bShape: number[], ta: boolean, tb: boolean): Case {
  const aR = aShape.length;
  const bR = bShape.length;
  const m = ta ? aShape[aR - 1] : aShape[aR - 2];
  const k = ta ? aShape[aR - 2] : aShape[aR - 1];
  const n = tb ? bShape[bR - 2] : bShape[bR - 1];
  const batch = Math.max(aShape.slice(0, -2).reduce((x, y) => x * y, 1), bShape.slice(0, -2).reduce((x, y) => x * y, 1));
  return {
    kernel: 'BatchMatMul', backend: 'wasm',
    label: `${label} a[${aShape}]${ta ? 'ᵀ' : ''} b[${bShape}]${tb ? 'ᵀ' : ''}`,
    flops: 2 * batch * m * n * k,
    inputs: () => [randn(aShape), randn(bShape)],
    run: ([a, b]) => tf.matMul(a, b, ta, tb),
  };
}

const cases: Case[] = [
  matmulCase('dense fwd', [512, 512], [512, 512], false, false),
  matmulCase('dense dX', [512, 512], [512, 512], false, true),
  matmulCase('dense dW', [512, 512], [512, 512], true, false),
  matmulCase('both T', [512, 512], [512, 512], true, true),
  matmulCase('seq x weights', [8, 128, 256], [256, 256], false, false),
  matmulCase('seq dX', [8, 128, 256], [256, 256], false, true),
  matmulCase('attn QKᵀ', [32, 64, 32], [32, 64, 32], false, true),
  matmulCase('attn PV', [32, 64, 64], [32, 64, 32], false, false),
  matmulCase('attn dP', [32, 64, 32], [32, 64, 32], false, true),
  matmulCase('attn dV', [32, 64, 64], [32, 64, 32], true, false),
  matmulCase('batch 16³', [256, 16, 16], [256, 16, 16], false, true),
  matmulCase('batch 8³', [512, 8, 8], [512, 8, 8], false, true),
  matmulCase('batch 12x12x24', [256, 12, 24], [256, 24, 12], false, false),
  matmulCase('bcast a', [1, 64, 64], [16, 64, 64], false, false),
  ...(['wasm', 'cpu'] as const).flatMap((backend): Case[] => [
    { kernel: 'Transpose', backend, label: '[512,512]', candidate: backend === 'wasm' ? transposeWasmCandidate : undefined, inputs: () => [randn([512, 512])], run: ([x]) => tf.transpose(x) },
    { kernel: 'Transpose', backend, label: '[30000,64] (embeddingᵀ)', candidate: backend === 'wasm' ? transposeWasmCandidate : undefined, inputs: () => [randn([30000, 64])], run: ([x]) => tf.transpose(x) },
    { kernel: 'Transpose', backend, label: '[64,2048]', candidate: backend === 'wasm' ? transposeWasmCandidate : undefined, inputs: () => [randn([64, 2048])], run: ([x]) => tf.transpose(x) },
    { kernel: 'Transpose', backend, label: '[8,128,8,32] perm 0,2,1,3 (heads)', candidate: backend === 'wasm' ? transposeWasmCandidate : undefined, inputs: () => [randn([8, 128, 8, 32])], run: ([x]) => tf.transpose(x, [0, 2, 1, 3]) },
    { kernel: 'Transpose', backend, label: '[16,8,64,64] perm 0,1,3,2', candidate: backend === 'wasm' ? transposeWasmCandidate : undefined, inputs: () => [randn([16, 8, 64, 64])], run: ([x]) => tf.transpose(x, [0, 1, 3, 2]) },
    { kernel: 'Transpose', backend, label: '[32,16,16,24] perm 3,1,2,0', candidate: backend === 'wasm' ? transposeWasmCandidate : undefined, inputs: () => [randn([32, 16, 16, 24])], run: ([x]) => tf.transpose(x, [3, 1, 2, 0]) },
    { kernel: 'Sum', backend, label: '[4096,512] axis 0 (bias grad)', inputs: () => [randn([4096, 512])], run: ([x]) => tf.sum(x, 0) },
    { kernel: 'Sum', backend, label: '[8,128,768] axes 0,1', inputs: () => [randn([8, 128, 768])], run: ([x]) => tf.sum(x, [0, 1]) },
    { kernel: 'Sum', backend, label: '[64,128,32] axis 1', inputs: () => [randn([64, 128, 32])], run: ([x]) => tf.sum(x, 1) },
    { kernel: 'Mean', backend, label: '[4096,512] axis 0', inputs: () => [randn([4096, 512])], run: ([x]) => tf.mean(x, 0) },
    { kernel: 'Mean', backend, label: '[32,128,256] axis 1 (seq pooling)', inputs: () => [randn([32, 128, 256])], run: ([x]) => tf.mean(x, 1) },
    { kernel: 'Mean', backend, label: '[64,128,32] axis 1', inputs: () => [randn([64, 128, 32])], run: ([x]) => tf.mean(x, 1) },
    { kernel: 'Tanh', backend, label: '[1048576]', inputs: () => [tf.tidy(() => tf.mul(randn([1 << 20]), 4))], run: ([x]) => tf.tanh(x) },
    { kernel: 'Tanh', backend, label: '[256,512]', inputs: () => [tf.tidy(() => tf.mul(randn([256, 512]), 4))], run: ([x]) => tf.tanh(x) },
    // Softmax inputs: logits minus their row max, so in (-16, 0].
    { kernel: 'Exp', backend, label: '[1048576] in (-16,0] (softmax)', inputs: () => [tf.tidy(() => tf.mul(tf.sub(randn([1 << 20]), 1), 8))], run: ([x]) => tf.exp(x) },
    { kernel: 'Exp', backend, label: '[256,512]', inputs: () => [tf.tidy(() => tf.mul(randn([256, 512]), 4))], run: ([x]) => tf.exp(x) },
  ]),
  { kernel: 'UnsortedSegmentSum', backend: 'wasm', label: 'x[4096,128] ids→30000 (embedding grad)', noStock: true,
    inputs: () => [randn([4096, 128]), randInt(4096, 30000)], run: ([x, ids]) => tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 30000) },
  // The stock cpu kernel keeps an input-sized intermediate per segment until it returns, so
  // x[4096,128] into 30000 segments would need ~60 GB; these sizes keep it within memory.
  { kernel: 'UnsortedSegmentSum', backend: 'cpu', label: 'x[64,16] ids→30000',
    inputs: () => [randn([64, 16]), randInt(64, 30000)], run: ([x, ids]) => tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 30000) },
  { kernel: 'UnsortedSegmentSum', backend: 'cpu', label: 'x[256,32] ids→2000',
    inputs: () => [randn([256, 32]), randInt(256, 2000)], run: ([x, ids]) => tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 2000) },
  { kernel: 'UnsortedSegmentSum', backend: 'cpu', label: 'x[4096,128] ids→30000 (embedding grad)', noStock: true,
    inputs: () => [randn([4096, 128]), randInt(4096, 30000)], run: ([x, ids]) => tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 30000) },
  // Slicing: stock copies the whole input out of the heap once per slice taken.
  sliceCase('Slice', '[64,32,256] → [1,32,256] (one time step)', [64, 32, 256], ([x]) => tf.slice(x, [17, 0, 0], [1, 32, 256])),
  sliceCase('Slice', '[8,128,768] → [8,64,768] (middle axis)', [8, 128, 768], ([x]) => tf.slice(x, [0, 32, 0], [8, 64, 768])),
  sliceCase('Slice', '[4096,512] → [4096,256] (column block)', [4096, 512], ([x]) => tf.slice(x, [0, 128], [4096, 256])),
  sliceCase('Slice', '[4096,64] → [4096,48] (rows of 48)', [4096, 64], ([x]) => tf.slice(x, [0, 8], [4096, 48])),
  sliceCase('Slice', '[4096,64] → [4096,16] (rows of 16)', [4096, 64], ([x]) => tf.slice(x, [0, 8], [4096, 16])),
  sliceCase('Slice', '[16,8,64,64] → [16,8,32,32] (4-D)', [16, 8, 64, 64], ([x]) => tf.slice(x, [0, 0, 16, 16], [16, 8, 32, 32])),
  sliceCase('Slice', '[512,64] → [1,64] (small input)', [512, 64], ([x]) => tf.slice(x, [100, 0], [1, 64])),
  sliceCase('Unpack', '[64,32,256] axis 0 (64 time steps)', [64, 32, 256], ([x]) => tf.unstack(x, 0)),
  sliceCase('Unpack', '[3,64,128,32] axis 0 (q, k, v)', [3, 64, 128, 32], ([x]) => tf.unstack(x, 0)),
  sliceCase('Unpack', '[32,64,8] axis 1', [32, 64, 8], ([x]) => tf.unstack(x, 1)),
  sliceCase('SplitV', '[4096,768] → 3 x [4096,256] axis 1', [4096, 768], ([x]) => tf.split(x, 3, 1)),
  sliceCase('SplitV', '[64,32,256] → 8 chunks axis 0', [64, 32, 256], ([x]) => tf.split(x, 8, 0)),
  sliceCase('StridedSlice', '[64,32,256] x[17] (shrink axis 0)', [64, 32, 256],
    ([x]) => tf.stridedSlice(x, [17], [18], [1], 0, 0, 0, 0, 1)),
  sliceCase('StridedSlice', '[4096,512] x[:, 100:300]', [4096, 512], ([x]) => tf.stridedSlice(x, [0, 100], [4096, 300])),
  sliceCase('StridedSlice', '[4096,512] x[::2, ::2] (strided)', [4096, 512], ([x]) => tf.stridedSlice(x, [0, 0], [4096, 512], [2, 2])),
  sliceCase('StridedSlice', '[4096,512] x[::2] (every other row)', [4096, 512], ([x]) => tf.stridedSlice(x, [0], [4096], [2])),
  // Stock StridedSlice returns int32 input as float32 bit patterns on its strided path (the fix).
  { kernel: 'StridedSlice', backend: 'wasm', label: 'int32 [1024,512] x[::2, ::3] (fix)', fullStock: true,
    inputs: () => [randIntOf([1024, 512], 1000)], run: ([x]) => tf.stridedSlice(x, [0, 0], [1024, 512], [2, 3]) },
  // Identity: the tape clones every tensor a gradient saves. Sharing costs O(1) whatever the size.
  { kernel: 'Identity', backend: 'wasm', label: '[1048576] (tf.clone)', inputs: () => [randn([1 << 20])], run: ([x]) => tf.clone(x) },
  { kernel: 'Identity', backend: 'wasm', label: '[128,64] (tf.clone)', inputs: () => [randn([128, 64])], run: ([x]) => tf.clone(x) },
  // Stock ClipByValue clips int32 data as float32 bit patterns (the fix).
  { kernel: 'ClipByValue', backend: 'wasm', label: 'int32 [1048576] (fix)', fullStock: true,
    inputs: () => [randIntOf([1 << 20], 1000, -1000)], run: ([x]) => tf.clipByValue(x, -100, 100) },
  { kernel: 'ClipByValue', backend: 'wasm', label: 'float32 [1048576] (stock kept)', fullStock: true,
    inputs: () => [randn([1 << 20])], run: ([x]) => tf.clipByValue(x, -0.5, 0.5) },
  // Run copies through the wasm copy module (heads transpose, gather, concat) and shared-data Cast.
  { kernel: 'Transpose', backend: 'wasm', label: '[16,128,4,32] perm 0,2,1,3 (heads, graft run copy)', inputs: () => [randn([16, 128, 4, 32])], run: ([x]) => tf.transpose(x, [0, 2, 1, 3]) },
  { kernel: 'GatherV2', backend: 'wasm', label: '[96,128] x 2048 ids (embedding)', inputs: () => [randn([96, 128]), randInt(2048, 96)], run: ([x, ids]) => tf.gather(x, ids as tf.Tensor1D) },
  { kernel: 'Concat', backend: 'wasm', label: '3 x [2048,128] axis 1 (qkv gradient)', inputs: () => [randn([2048, 128]), randn([2048, 128]), randn([2048, 128])], run: xs => tf.concat(xs, 1) },
  { kernel: 'Cast', backend: 'wasm', label: 'float32 [2048,512] to float32 (gradients of mul)', inputs: () => [randn([2048, 512])], run: ([x]) => tf.cast(x, 'float32') },
  // Training conditions: the weights are a new tensor each call (stock XNNPACK repacks them; tf.add
  // makes the new tensor in both variants alike). Causal attention: A is lower-triangular.
  { kernel: '_FusedMatMul', backend: 'wasm', label: 'dense fwd [2048,128]x[128,512]+bias, new weights', flops: 2 * 2048 * 128 * 512,
    inputs: () => [randn([2048, 128]), randn([128, 512]), randn([512])], run: ([x, w, b]) => tf.fused.matMul({ a: x, b: tf.add(w, 0), bias: b }) },
  { kernel: 'BatchMatMul', backend: 'wasm', label: 'causal attn PV a[64,128,128] (lower-triangular) b[64,128,32]', flops: 2 * 64 * 128 * 128 * 32,
    inputs: () => [tf.tidy(() => tf.mul(randn([64, 128, 128]), tf.linalg.bandPart(tf.ones([128, 128]), -1, 0))), randn([64, 128, 32])], run: ([p, v]) => tf.matMul(p, v) },
  // Stock OneHot on wasm writes int32 bit patterns into float32 outputs: maxAbsDiff 1 is that bug.
  { kernel: 'OneHot', backend: 'wasm', label: '[4096] depth 1000 float32', fullStock: true,
    inputs: () => [randInt(4096, 1000)], run: ([ids]) => tf.oneHot(ids as tf.Tensor1D, 1000, 1, 0, 'float32') },
  { kernel: 'OneHot', backend: 'wasm', label: '[4096] depth 1000 int32', fullStock: true,
    inputs: () => [randInt(4096, 1000)], run: ([ids]) => tf.oneHot(ids as tf.Tensor1D, 1000, 1, 0, 'int32') },
];

/**
 * Process CPU time in ms. The kernels are synchronous and single-threaded, so this is their cost;
 * unlike wall time it does not count time slices lost to other processes on a shared machine.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const candidateStock = new Map<GraftKernelSpec, tf.KernelConfig | undefined>();

/** Installs stock (fast=false) or the measured variant: graft's kernels or a rejected candidate. */
function useVariant(c: Case, fast: boolean): void {
  if (c.fullStock && !fast) unregisterGraftKernels(c.backend);
  else registerGraftKernels(c.backend, { fastKernels: c.candidate != null ? false : fast });
  const spec = c.candidate;
  if (spec == null) return;
  if (fast && !candidateStock.has(spec)) {
    const stock = tf.getKernel(spec.kernelName, spec.backendName);
    if (stock != null) tf.unregisterKernel(spec.kernelName, spec.backendName);
    tf.registerKernel(spec.create(stock));
    candidateStock.set(spec, stock);
  } else if (!fast && candidateStock.has(spec)) {
    const stock = candidateStock.get(spec);
    tf.unregisterKernel(spec.kernelName, spec.backendName);
    if (stock != null) tf.registerKernel(stock);
    candidateStock.delete(spec);
  }
}

interface Timing { bestMs: number; medianMs: number; out: ArrayLike<number> }

/** All outputs' values, concatenated, as float64 (int32 and float32 outputs compare alike). */
function flatValues(out: tf.Tensor | tf.Tensor[]): Float64Array {
  const list = Array.isArray(out) ? out : [out];
  const values = new Float64Array(list.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of list) {
    values.set(t.dataSync(), at);
    at += t.size;
  }
  return values;
}

/**
 * Times stock and graft interleaved (stock, graft, stock, graft, ...) so that load from other
 * processes on the machine hits both alike; reports best and median per variant. Best-of-N is
 * the figure least distorted by contention and is what `speedup` uses.
 */
function measure(c: Case, inputs: tf.Tensor[]): { stock: Timing | null; graft: Timing } {
  const variants = c.noStock ? [true] : [false, true];
  const samples = new Map<boolean, number[]>(variants.map(v => [v, []]));
  const outs = new Map<boolean, ArrayLike<number>>();
  for (const fast of variants) {
    useVariant(c, fast);
    const t0 = cpuMs();
    const out = c.run(inputs); // warm-up (JIT, XNNPACK operator cache) and output for comparison
    outs.set(fast, flatValues(out));
    tf.dispose(out);
    // Pathologically slow stock kernels: one timed run is enough.
    if (cpuMs() - t0 > 3000) samples.get(fast)!.push(cpuMs() - t0);
  }
  const start = performance.now();
  for (let round = 0; round < 200; round++) {
    for (const fast of variants) {
      const list = samples.get(fast)!;
      if (list.length > 0 && list[0] > 3000) continue;
      useVariant(c, fast);
      const s = cpuMs();
      tf.dispose(tf.tidy(() => c.run(inputs)));
      list.push(cpuMs() - s);
    }
    if (round >= 4 && performance.now() - start > budgetMs * variants.length) break;
  }
  useVariant(c, false);
  const stat = (fast: boolean): Timing => {
    const list = samples.get(fast)!.slice().sort((a, b) => a - b);
    return { bestMs: list[0], medianMs: list[list.length >> 1], out: outs.get(fast)! };
  };
  return { stock: c.noStock ? null : stat(false), graft: stat(true) };
}

await selectBackend({ prefer: 'wasm' });
const round = (x: number, d = 3) => Number(x.toPrecision(d));
const results = [];
for (const c of cases) {
  if (filter != null && !`${c.kernel} ${c.backend} ${c.label}`.includes(filter)) continue;
  await selectBackend({ prefer: c.backend }); // also silences the cpu backend's first-use banner
  const snapshot = tf.memory().numTensors;
  // One set of inputs for both variants, so outputs are comparable.
  const inputs = c.inputs();
  const { stock, graft } = measure(c, inputs);
  tf.dispose(inputs);
  let maxAbsDiff: number | null = null;
  if (stock != null) {
    maxAbsDiff = 0;
    for (let i = 0; i < graft.out.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(graft.out[i] - stock.out[i]));
  }
  const r = {
    kernel: c.kernel,
    backend: c.backend,
    // false: a variant graft measured and rejected (it does not install it); "graft" = the variant.
    adopted: c.candidate == null,
    shape: c.label,
    stockMs: stock != null ? round(stock.bestMs) : null,
    graftMs: round(graft.bestMs),
    speedup: stock != null ? round(stock.bestMs / graft.bestMs) : null,
    stockMedianMs: stock != null ? round(stock.medianMs) : null,
    graftMedianMs: round(graft.medianMs),
    ...(c.flops != null ? {
      stockGflops: stock != null ? round(c.flops / stock.bestMs / 1e6) : null,
      graftGflops: round(c.flops / graft.bestMs / 1e6),
    } : {}),
    maxAbsDiff: maxAbsDiff != null ? round(maxAbsDiff, 2) : null,
    leakedTensors: tf.memory().numTensors - snapshot,
  };
  results.push(r);
  process.stderr.write(`${JSON.stringify(r)}\n`);
}
await tf.setBackend('wasm');
registerGraftKernels('wasm', { fastKernels: true });
const load = (await import('node:os')).loadavg()[0];
console.log(JSON.stringify({ tfjs: tf.version_core, node: process.version, loadAverage1m: round(load), results }, null, 1));
