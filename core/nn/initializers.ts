import type { Rng } from '../random/index.ts';

/**
 * Initial values are drawn on the JS side from the run's Rng, so every backend (wasm, cpu, GPU)
 * starts from bit-identical weights and "same seed, same losses" holds across backends.
 */
export function normalInit(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

export function uniformInit(rng: Rng, n: number, limit: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * limit;
  return a;
}

/** Glorot/Xavier uniform for a [fanIn, fanOut] kernel. */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  return uniformInit(rng, fanIn * fanOut, Math.sqrt(6 / (fanIn + fanOut)));
}

export function constantInit(n: number, value: number): Float32Array {
  return new Float32Array(n).fill(value);
}
