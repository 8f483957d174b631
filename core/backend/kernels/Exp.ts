/**
 * Exp by range reduction, evaluated in float64: x = k ln2 + r with |r| <= ln2/2, exp(r) by its
 * degree-7 Taylor polynomial (truncation < 6e-9 relative), 2^k from a table. Rounding the float64
 * result to float32 on store gives at most 1 float32 ulp from Math.fround(Math.exp(x)), with
 * overflow to Infinity and gradual underflow to subnormals and 0 falling out of that rounding.
 * tfjs-backend-wasm 4.22's Exp is a scalar libm loop (~15 ns/element) and tfjs-backend-cpu calls
 * Math.exp per element; the softmax of a word-level LM spends a third of its step there. On wasm
 * the same operations run in SIMD (expModule.ts, bit-identical to this loop); cpu runs this loop.
 */
import { Exp } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { allocOutput, heapOffset, isWasmBackend, view, wasmMemoryOf } from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { EXP_BIAS as BIAS, EXP_HI as HI, EXP_LN2 as LN2, EXP_LO as LO, EXP_LOG2E as LOG2E } from './expModule.ts';
import { gemmModuleOn } from './gemmModule.ts';
import { CHUNK, forChunks } from './gemmThreads.ts';

const POW2 = new Float64Array(300);
for (let i = 0; i < POW2.length; i++) POW2[i] = 2 ** (i - BIAS);

export function expInto(x: ArrayLike<number>, y: { [i: number]: number }, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v > HI) {
      y[i] = Infinity;
    } else if (v >= LO) {
      // j = round(v log2e) + BIAS; the argument is positive, so `| 0` floors. Math.round measured
      // several times slower here than the truncation.
      const j = (v * LOG2E + (BIAS + 0.5)) | 0;
      const r = v - (j - BIAS) * LN2;
      const r2 = r * r;
      // Estrin-style grouping of 1 + r + r^2/2 + ... + r^7/7!: shorter dependency chains.
      const p = (1 + r) + r2 * ((0.5 + r * (1 / 6)) + r2 * ((1 / 24 + r * (1 / 120)) + r2 * (1 / 720 + r * (1 / 5040))));
      y[i] = p * POW2[j];
    } else {
      // -Infinity and everything below LO give 0; NaN fails every test and is passed through.
      y[i] = v < LO ? 0 : v;
    }
  }
}

function exp(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype !== 'float32') return runStock(stock, args);
  const out = allocOutput(backend, x.shape, 'float32');
  if (isWasmBackend(backend)) {
    // The same float64 operations in wasm SIMD (expModule.ts), shared out on graft's threads.
    const n = x.shape.reduce((a, b) => a * b, 1);
    const [xo, yo] = [heapOffset(backend, x), heapOffset(backend, out)];
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    forChunks(backend, n, CHUNK, (plan, i, count) => {
      if (plan) plan.call('exp', count, xo + 4 * i, yo + 4 * i);
      else mod.exp(count, xo + 4 * i, yo + 4 * i);
    });
    return out;
  }
  const o = view(backend, out);
  expInto(view(backend, x), o, o.length);
  return out;
}

function spec(backendName: 'wasm' | 'cpu'): GraftKernelSpec {
  return {
    kernelName: Exp,
    backendName,
    purpose: 'fast',
    create: stock => ({ kernelName: Exp, backendName, kernelFunc: asKernelFunc(args => exp(args, stock)) }),
  };
}

export const expWasm = spec('wasm');
export const expCpu = spec('cpu');
