/**
 * Tanh as a rational minimax approximation (the float32 one Eigen uses: odd degree-13 numerator,
 * degree-6 denominator in x^2), evaluated in float64. Max error vs Math.tanh is ~2.4e-7 absolute /
 * relative over the float range, i.e. a few float32 ulps, and exactly +-1 once float32 tanh
 * rounds to 1. tfjs-backend-wasm 4.22's Tanh is a scalar libm loop (~4x slower than its XNNPACK
 * Sigmoid) and tfjs-backend-cpu calls Math.tanh per element; both measure several times slower.
 */
import { Tanh } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { allocOutput, view } from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';

const A1 = 4.89352455891786e-3;
const A3 = 6.37261928875436e-4;
const A5 = 1.48572235717979e-5;
const A7 = 5.12229709037114e-8;
const A9 = -8.60467152213735e-11;
const A11 = 2.00018790482477e-13;
const A13 = -2.76076847742355e-16;
const B0 = 4.89352518554385e-3;
const B2 = 2.268434632439e-3;
const B4 = 1.18534705686654e-4;
const B6 = 1.19825839466702e-6;
/** The approximation is fitted on [-CLAMP, CLAMP]; beyond it tanh is within 2.7e-7 of +-1. */
const CLAMP = 7.90531110763549805;
/** From here float32(tanh(x)) is exactly 1 (1 - tanh(9) < half an ulp below 1). */
const SATURATE = 9;

export function tanhInto(x: ArrayLike<number>, y: { [i: number]: number }, n: number): void {
  for (let i = 0; i < n; i++) {
    let v = x[i];
    if (v >= SATURATE) {
      y[i] = 1;
    } else if (v <= -SATURATE) {
      y[i] = -1;
    } else {
      // NaN fails both tests above and propagates through the arithmetic.
      if (v > CLAMP) v = CLAMP;
      else if (v < -CLAMP) v = -CLAMP;
      const z = v * v;
      const z2 = z * z;
      // Estrin-style grouping: shorter dependency chains than Horner, measured ~10% faster.
      const p = v * ((A1 + z * A3) + z2 * ((A5 + z * A7) + z2 * ((A9 + z * A11) + z2 * A13)));
      const q = (B0 + z * B2) + z2 * (B4 + z * B6);
      y[i] = p / q;
    }
  }
}

function tanh(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype !== 'float32') return runStock(stock, args);
  const out = allocOutput(backend, x.shape, 'float32');
  const o = view(backend, out);
  tanhInto(view(backend, x), o, o.length);
  return out;
}

function spec(backendName: 'wasm' | 'cpu'): GraftKernelSpec {
  return {
    kernelName: Tanh,
    backendName,
    purpose: 'fast',
    create: stock => ({ kernelName: Tanh, backendName, kernelFunc: asKernelFunc(args => tanh(args, stock)) }),
  };
}

export const tanhWasm = spec('wasm');
export const tanhCpu = spec('cpu');
