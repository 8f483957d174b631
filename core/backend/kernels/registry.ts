/**
 * Installs graft's kernels into tfjs's global kernel registry and can put the stock ones back.
 *
 * Each spec is 'missing' (the backend has no such kernel), 'fix' (the stock kernel is wrong) or
 * 'fast' (measured faster than stock; see bench/kernels.ts). Only 'fast' obeys the fastKernels
 * switch: without the others training fails or is silently wrong.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { KernelPurpose } from '../types.ts';
import { batchMatMulWasm } from './BatchMatMul.ts';
import { cpuFallbackSpecs } from './cpuFallback.ts';
import { meanCpu, meanWasm } from './Mean.ts';
import { oneHotWasm } from './OneHot.ts';
import type { GraftKernelSpec } from './spec.ts';
import { sumCpu, sumWasm } from './Sum.ts';
import { tanhCpu, tanhWasm } from './Tanh.ts';
import { transposeCpu } from './Transpose.ts';
import { unsortedSegmentSumCpu, unsortedSegmentSumWasm } from './UnsortedSegmentSum.ts';

/** Every kernel graft can install, per backend. */
export const GRAFT_KERNEL_SPECS: readonly GraftKernelSpec[] = [
  unsortedSegmentSumWasm,
  oneHotWasm,
  batchMatMulWasm,
  sumWasm,
  meanWasm,
  tanhWasm,
  ...cpuFallbackSpecs,
  unsortedSegmentSumCpu,
  transposeCpu,
  sumCpu,
  meanCpu,
  tanhCpu,
];

interface Installed {
  spec: GraftKernelSpec;
  config: KernelConfig;
  /** The kernel that was registered before graft's, restored on uninstall. */
  previous: KernelConfig | undefined;
}

const installed = new Map<string, Installed>();
const keyOf = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

export interface RegisterKernelsOptions {
  /** Install the 'fast' replacements (default true). 'missing' and 'fix' kernels always are. */
  fastKernels?: boolean;
}

export interface GraftKernelInfo {
  kernelName: string;
  backendName: string;
  purpose: KernelPurpose;
}

function install(spec: GraftKernelSpec): void {
  const previous = tf.getKernel(spec.kernelName, spec.backendName);
  // A kernel graft only adds because it was missing: if tfjs (or the user) now provides one, keep it.
  if (spec.purpose === 'missing' && previous != null) return;
  const config = spec.create(previous);
  // Unregister first: registerKernel over an existing key works but logs a warning each time.
  if (previous != null) tf.unregisterKernel(spec.kernelName, spec.backendName);
  tf.registerKernel(config);
  installed.set(keyOf(spec.kernelName, spec.backendName), { spec, config, previous });
}

function uninstall(key: string): void {
  const entry = installed.get(key);
  if (entry == null) return;
  installed.delete(key);
  const { kernelName, backendName } = entry.spec;
  // Someone replaced graft's kernel since: leave theirs alone.
  if (tf.getKernel(kernelName, backendName) !== entry.config) return;
  tf.unregisterKernel(kernelName, backendName);
  if (entry.previous != null) tf.registerKernel(entry.previous);
}

/**
 * Installs graft's kernels for one tfjs backend ('wasm' or 'cpu'; others have none) and returns
 * the names now installed there. Idempotent; calling again with another fastKernels value adds
 * or removes the 'fast' replacements, restoring the stock kernels.
 */
export function registerGraftKernels(backendName: string, opts: RegisterKernelsOptions = {}): string[] {
  const fast = opts.fastKernels ?? true;
  for (const spec of GRAFT_KERNEL_SPECS) {
    if (spec.backendName !== backendName) continue;
    const key = keyOf(spec.kernelName, spec.backendName);
    const want = spec.purpose !== 'fast' || fast;
    if (want && !installed.has(key)) install(spec);
    else if (!want && installed.has(key)) uninstall(key);
  }
  return graftKernelNames(backendName);
}

/** Removes graft's kernels (all backends, or one) and restores the kernels they replaced. */
export function unregisterGraftKernels(backendName?: string): void {
  for (const [key, entry] of [...installed]) {
    if (backendName == null || entry.spec.backendName === backendName) uninstall(key);
  }
}

/** Names of graft kernels currently installed for `backendName`. */
export function graftKernelNames(backendName: string): string[] {
  return [...installed.values()]
    .filter(e => e.spec.backendName === backendName)
    .map(e => e.spec.kernelName);
}

/** Details of every installed graft kernel. */
export function installedGraftKernels(): GraftKernelInfo[] {
  return [...installed.values()].map(({ spec }) => ({
    kernelName: spec.kernelName, backendName: spec.backendName, purpose: spec.purpose,
  }));
}
