/**
 * Installs graft's kernels into tfjs's global kernel registry and can put the stock ones back.
 *
 * Each spec is 'missing' (the backend has no such kernel), 'fix' (the stock kernel is wrong) or
 * 'fast' (measured faster than stock; see bench/kernels.ts). Only 'fast' obeys the fastKernels
 * switch: without the others training fails or is silently wrong.
 *
 * A kernel may have both a 'fix' and a 'fast' spec (listed in that order). The fast one is then
 * installed on top of the fix and receives it as its fallback, so switching fast kernels off
 * restores the fix, not the broken stock kernel; removal undoes installs in reverse order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { KernelPurpose } from '../types.ts';
import { adamwWasm } from './Adamw.ts';
import { batchMatMulWasm } from './BatchMatMul.ts';
import { castWasm } from './Cast.ts';
import { clipByValueWasm } from './ClipByValue.ts';
import { concatWasm } from './Concat.ts';
import { causalAttentionGradWasm, causalAttentionWasm } from './CausalAttention.ts';
import { cpuFallbackSpecs } from './cpuFallback.ts';
import { expCpu, expWasm } from './Exp.ts';
import { fusedMatMulWasm } from './FusedMatMul.ts';
import { gatherV2Wasm } from './GatherV2.ts';
import { geluGradWasm, geluWasm } from './Gelu.ts';
import { layerNormGradWasm, layerNormWasm } from './LayerNorm.ts';
import { denseWasm } from './Dense.ts';
import { lstmBackwardWasm, lstmForwardWasm } from './Lstm.ts';
import { identityWasm } from './Identity.ts';
import { meanCpu, meanWasm } from './Mean.ts';
import { oneHotWasm } from './OneHot.ts';
import { sliceWasm } from './Slice.ts';
import type { GraftKernelSpec } from './spec.ts';
import { splitVWasm } from './SplitV.ts';
import { stridedSliceFixWasm, stridedSliceWasm } from './StridedSlice.ts';
import { sumCpu, sumWasm } from './Sum.ts';
import { tanhCpu, tanhWasm } from './Tanh.ts';
import { transposeCpu } from './Transpose.ts';
import { transposeWasm } from './TransposeWasm.ts';
import { unpackWasm } from './Unpack.ts';
import { unsortedSegmentSumCpu, unsortedSegmentSumWasm } from './UnsortedSegmentSum.ts';

/** Every kernel graft can install, per backend. */
export const GRAFT_KERNEL_SPECS: readonly GraftKernelSpec[] = [
  unsortedSegmentSumWasm,
  oneHotWasm,
  clipByValueWasm,
  stridedSliceFixWasm,
  batchMatMulWasm,
  fusedMatMulWasm,
  sumWasm,
  meanWasm,
  tanhWasm,
  expWasm,
  sliceWasm,
  unpackWasm,
  splitVWasm,
  stridedSliceWasm, // after stridedSliceFixWasm: installed on top of it
  identityWasm,
  castWasm,
  gatherV2Wasm,
  concatWasm,
  transposeWasm,
  adamwWasm,
  geluWasm,
  geluGradWasm,
  layerNormWasm,
  layerNormGradWasm,
  denseWasm,
  lstmForwardWasm,
  lstmBackwardWasm,
  causalAttentionWasm,
  causalAttentionGradWasm,
  ...cpuFallbackSpecs,
  unsortedSegmentSumCpu,
  transposeCpu,
  sumCpu,
  meanCpu,
  tanhCpu,
  expCpu,
];

interface Installed {
  spec: GraftKernelSpec;
  config: KernelConfig;
  /** The kernel that was registered before graft's, restored on uninstall. */
  previous: KernelConfig | undefined;
}

/** Installed specs in install order (a fast spec always after the fix spec it sits on). */
const installed = new Map<GraftKernelSpec, Installed>();

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
  installed.set(spec, { spec, config, previous });
}

function uninstall(spec: GraftKernelSpec): void {
  const entry = installed.get(spec);
  if (entry == null) return;
  installed.delete(spec);
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
  const specs = GRAFT_KERNEL_SPECS.filter(s => s.backendName === backendName);
  // Removals first, last installed first, so a fast kernel comes off before anything under it.
  for (const spec of [...specs].reverse()) {
    if (spec.purpose === 'fast' && !fast) uninstall(spec);
  }
  for (const spec of specs) {
    if ((spec.purpose !== 'fast' || fast) && !installed.has(spec)) install(spec);
  }
  return graftKernelNames(backendName);
}

/** Removes graft's kernels (all backends, or one) and restores the kernels they replaced. */
export function unregisterGraftKernels(backendName?: string): void {
  // Reverse install order: a fast kernel installed over a fix must come off first.
  for (const spec of [...installed.keys()].reverse()) {
    if (backendName == null || spec.backendName === backendName) uninstall(spec);
  }
}

/** Names of graft kernels currently installed for `backendName` (each once). */
export function graftKernelNames(backendName: string): string[] {
  return [...new Set([...installed.keys()]
    .filter(spec => spec.backendName === backendName)
    .map(spec => spec.kernelName))];
}

/** Details of every installed graft kernel. */
export function installedGraftKernels(): GraftKernelInfo[] {
  return [...installed.values()].map(({ spec }) => ({
    kernelName: spec.kernelName, backendName: spec.backendName, purpose: spec.purpose,
  }));
}
