/**
 * The GPT step's matrix products timed alone on the current backend (`gptStepProducts`): each warm
 * (its operands were just used, the kernel compiled), the median of several runs, times the number
 * of times a step computes it. The step cannot take less than this with the same GEMM: the products'
 * operands in a real step come from earlier kernels, and everything else (element-wise kernels,
 * optimizer, bookkeeping) comes on top.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gptStepProducts, productFlops, productOperands, type GptShape } from './lib/gptStepProducts.ts';
import { median } from './lib/stats.ts';

export interface ProductsAlone {
  /** Sum over the step's products of (median ms of one) × (times per step). */
  ms: number;
  /** The same with each product's best run. */
  bestMs: number;
  /** The products' flops per step over `ms`. */
  gflopsPerS: number;
  products: { name: string; count: number; ms: number; gflopsPerS: number }[];
}

export function productsAlone(c: GptShape, runs = 9): ProductsAlone {
  const products = [];
  let ms = 0;
  let bestMs = 0;
  let flops = 0;
  for (const p of gptStepProducts(c)) {
    const { a: sa, b: sb } = productOperands(p);
    const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
    const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
    try {
      // On wasm a kernel has finished when the op returns; dataSync would add a copy out of the heap.
      const once = (): number => {
        const t0 = performance.now();
        tf.matMul(a, b, p.transposeA, p.transposeB).dispose();
        return performance.now() - t0;
      };
      for (let w = 0; w < 3; w++) once();
      const times = Array.from({ length: runs }, once);
      const one = median(times);
      ms += one * p.count;
      bestMs += Math.min(...times) * p.count;
      flops += productFlops(p);
      products.push({ name: p.name, count: p.count, ms: one, gflopsPerS: productFlops(p) / p.count / one / 1e6 });
    } finally {
      a.dispose();
      b.dispose();
    }
  }
  return { ms, bestMs, gflopsPerS: flops / ms / 1e6, products };
}
