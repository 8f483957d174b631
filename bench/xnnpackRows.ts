/**
 * Where XNNPACK beats graft's GEMM on one thread: a [rows, 128] x [128, 512] product against a
 * right operand used again (XNNPACK keeps its packed copy on the tensor: its best case), and
 * against a new right operand each call (training: every weight is new each step), for rows from 1
 * to 2,048: what `XNNPACK_MAX_ROWS` in core/backend/kernels/BatchMatMul.ts rests on.
 *
 *   node --import=tsx bench/xnnpackRows.ts
 *
 * Prints one JSON document: per row count the best µs of each route (interleaved, best of 7
 * rounds). Stock tf.matMul on wasm is XNNPACK for these plain products; with graft's kernels a new
 * right operand always goes to the GEMM. A new operand is `tf.add(w, 0)`, whose own time (measured
 * alone) is subtracted.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerGraftKernels, selectBackend } from '../core/backend/index.ts';

await selectBackend({ prefer: 'wasm', threads: 1 });
const K = 128;
const N = 512;
const w = tf.randomNormal([K, N], 0, 1, 'float32', 1);

type Route = 'xnnpackPacked' | 'xnnpackNewWeights' | 'gemm';
const rows = [1, 2, 3, 4, 8, 16, 64, 256, 1024, 2048];
const result: Record<string, Record<Route, number>> = {};
for (const m of rows) {
  const x = tf.randomNormal([m, K], 0, 1, 'float32', 2);
  const reps = Math.max(3, Math.round(2e8 / (2 * m * K * N)));
  // [graft's kernels installed, one product]
  const routes: Record<Route, [boolean, () => void]> = {
    xnnpackPacked: [false, () => tf.matMul(x, w).dispose()],
    // A new tensor with w's values, as a training step's weights are (the copy is timed apart).
    xnnpackNewWeights: [false, () => tf.tidy(() => tf.matMul(x, tf.add(w, 0))).dispose()],
    gemm: [true, () => tf.tidy(() => tf.matMul(x, tf.add(w, 0))).dispose()],
  };
  const copyOnly = () => tf.tidy(() => tf.add(w, 0)).dispose();
  const time = (f: () => void): number => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) f();
    return ((performance.now() - t0) / reps) * 1000;
  };
  const best: Record<Route | 'copy', number> = { xnnpackPacked: Infinity, xnnpackNewWeights: Infinity, gemm: Infinity, copy: Infinity };
  for (let round = 0; round < 8; round++) {
    for (const [name, [graft, f]] of Object.entries(routes) as [Route, [boolean, () => void]][]) {
      registerGraftKernels('wasm', { fastKernels: graft });
      const us = time(f);
      if (round > 0) best[name] = Math.min(best[name], us);
    }
    const us = time(copyOnly);
    if (round > 0) best.copy = Math.min(best.copy, us);
  }
  x.dispose();
  const r = (v: number) => Math.round(v * 10) / 10;
  result[m] = { xnnpackPacked: r(best.xnnpackPacked), xnnpackNewWeights: r(best.xnnpackNewWeights - best.copy), gemm: r(best.gemm - best.copy) };
}
w.dispose();
console.log(JSON.stringify({ product: `[rows,${K}]x[${K},${N}]`, threads: 1, unit: 'µs, best of 7', rows: result }, null, 1));
