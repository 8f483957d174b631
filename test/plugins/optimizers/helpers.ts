import * as tf from '@tensorflow/tfjs-core';
import { ParameterStore, type GradMap, type StepContext } from '../../../core/index.ts';

/** A store with 2-element parameters, and the minimal step context an optimizer reads. */
export function makeStore(params: Record<string, { values: number[]; decay: boolean }>): { store: ParameterStore; ctx: StepContext } {
  const store = new ParameterStore();
  for (const [name, p] of Object.entries(params)) store.create(name, [p.values.length], Float32Array.from(p.values), { decay: p.decay, owner: 'test' });
  return { store, ctx: { trainer: { params: store } } as unknown as StepContext };
}

export function grads(g: Record<string, number[]>): GradMap {
  const out: GradMap = {};
  for (const [k, v] of Object.entries(g)) out[k] = tf.tensor1d(v);
  return out;
}

export function values(store: ParameterStore, name: string): number[] {
  return Array.from(store.get(name).dataSync());
}

export function close(actual: number[], expected: number[], tol = 1e-6): boolean {
  return actual.length === expected.length && actual.every((a, i) => Math.abs(a - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)));
}
