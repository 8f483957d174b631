/**
 * Wasm kernels that tfjs-backend-wasm 4.22 lacks but training needs, run by the stock cpu kernel
 * on copies: Conv2DBackpropFilter (the filter gradient of every conv2d/conv1d layer), the two
 * depthwise-conv gradients, and Einsum. Without them those models cannot train on wasm at all;
 * with them they are correct at cpu speed plus two copies. A private cpu backend instance is used
 * so the engine's registry and memory accounting are untouched.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { isNumericDtype, isWasmBackend } from './heap.ts';
import { asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

export const CPU_BRIDGED_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Einsum',
] as const;

let privateCpu: MathBackendCPU | null = null;

function cpuBackend(): MathBackendCPU {
  if (privateCpu == null) {
    privateCpu = new MathBackendCPU();
    // Its first write prints tfjs's "install tfjs-node" banner; this instance is an implementation
    // detail of graft, not the user's choice of backend.
    (privateCpu as unknown as { firstUse: boolean }).firstUse = false;
  }
  return privateCpu;
}

function bridged(kernelName: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  const cpuKernel = tf.getKernel(kernelName, 'cpu');
  if (cpuKernel == null) throw backendError(`graft: no cpu kernel ${kernelName} to run on behalf of wasm`);
  const wasm = args.backend;
  if (!isWasmBackend(wasm)) throw backendError(`graft: ${kernelName} bridge expects the wasm backend`);
  const cpu = cpuBackend();
  const created: TensorInfo[] = [];
  const toCpu = (t: TensorInfo): TensorInfo => {
    if (!isNumericDtype(t.dtype)) throw backendError(`graft: ${kernelName} on wasm: dtype ${t.dtype} unsupported`);
    const info = { dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
    created.push(info);
    return info;
  };
  // Einsum passes its operands as an array; other kernels as a name -> tensor map.
  const inputs = Array.isArray(args.inputs)
    ? (args.inputs as TensorInfo[]).map(toCpu)
    : Object.fromEntries(Object.entries(args.inputs).map(([k, t]) => [k, t == null ? t : toCpu(t)]));
  try {
    const result = cpuKernel.kernelFunc({ inputs: inputs as typeof args.inputs, backend: cpu as KernelBackend, attrs: args.attrs });
    const outs = Array.isArray(result) ? result : [result];
    const moved = outs.map(o => {
      const r = wasm.makeOutput(o.shape, o.dtype, undefined, cpu.readSync(o.dataId));
      cpu.disposeData(o.dataId);
      return r;
    });
    return Array.isArray(result) ? moved : moved[0];
  } finally {
    for (const t of created) cpu.disposeData(t.dataId);
  }
}

export const cpuFallbackSpecs: GraftKernelSpec[] = CPU_BRIDGED_KERNELS.map(kernelName => ({
  kernelName,
  backendName: 'wasm' as const,
  purpose: 'missing' as const,
  create: () => ({ kernelName, backendName: 'wasm', kernelFunc: asKernelFunc(args => bridged(kernelName, args)) }),
}));
