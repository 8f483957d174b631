/**
 * Zero-copy access to tensor memory for graft's JS kernels, on the wasm and cpu backends.
 *
 * wasm: tensors live in the emscripten heap; `typedArrayFromHeap` gives a view (no copy) and
 * `makeOutput` mallocs the result. Any malloc (ours, or one inside a wasm call) may grow the heap,
 * which detaches every existing view. So kernels allocate all outputs/scratch first, then take
 * views, and take fresh views after calling into wasm.
 * cpu: tensors are plain typed arrays stored by reference, so the same "alloc, then view" code
 * works unchanged.
 */
import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import { backendError } from '../errors.ts';

export type NumericArray = Float32Array | Int32Array | Uint8Array;

/** The parts of tfjs-backend-wasm's BackendWasm / emscripten module graft relies on. */
export interface WasmModuleLike {
  HEAPU8: Uint8Array;
  /** The emscripten module's exports (single-threaded builds: `asm.memory` is the heap). */
  asm?: { memory?: WasmMemoryLike };
  /** The heap's memory (threaded builds, where it is imported rather than exported). */
  wasmMemory?: WasmMemoryLike;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

/** A WebAssembly.Memory (graft's tsconfig has no WebAssembly lib). */
export interface WasmMemoryLike {
  buffer: ArrayBufferLike;
}

export interface WasmBackendLike extends KernelBackend {
  wasm: WasmModuleLike;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: unknown): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): NumericArray;
}

export interface CpuBackendLike extends KernelBackend {
  data: { get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: DataType, values?: unknown): TensorInfo;
}

export function isWasmBackend(b: KernelBackend): b is WasmBackendLike {
  return typeof (b as Partial<WasmBackendLike>).typedArrayFromHeap === 'function' &&
    (b as Partial<WasmBackendLike>).wasm != null;
}

export function isCpuBackend(b: KernelBackend): b is CpuBackendLike {
  return !isWasmBackend(b) && typeof (b as Partial<CpuBackendLike>).makeTensorInfo === 'function' &&
    (b as Partial<CpuBackendLike>).data != null;
}

/** dtypes whose storage is a single numeric typed array (graft kernels only handle these). */
export function isNumericDtype(dtype: DataType): dtype is 'float32' | 'int32' | 'bool' {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

function arrayCtor(dtype: DataType) {
  switch (dtype) {
    case 'float32': return Float32Array;
    case 'int32': return Int32Array;
    case 'bool': return Uint8Array;
    default: throw backendError(`graft kernels: unsupported dtype ${dtype}`);
  }
}

/** Allocates an uninitialised output tensor on `backend` (wasm: malloc; may detach views). */
export function allocOutput(backend: KernelBackend, shape: number[], dtype: DataType): TensorInfo {
  if (isWasmBackend(backend)) return backend.makeOutput(shape, dtype);
  if (isCpuBackend(backend)) {
    const Ctor = arrayCtor(dtype);
    return backend.makeTensorInfo(shape, dtype, new Ctor(util.sizeFromShape(shape)));
  }
  throw backendError('graft kernels: unsupported backend');
}

/** A view of a tensor's data (no copy on wasm/cpu). Re-take it after any wasm allocation. */
export function view(backend: KernelBackend, info: TensorInfo): NumericArray {
  if (isWasmBackend(backend)) return backend.typedArrayFromHeap(info);
  if (isCpuBackend(backend)) {
    const values = backend.data.get(info.dataId)?.values;
    const Ctor = arrayCtor(info.dtype);
    if (values instanceof Ctor) return values as NumericArray;
    // Defensive: cpu may hold another array type for a dtype (e.g. after a raw write); copy once.
    return Ctor.from(backend.readSync(info.dataId) as ArrayLike<number>) as NumericArray;
  }
  throw backendError('graft kernels: unsupported backend');
}

/** Byte offset of a wasm tensor in the heap. */
export function heapOffset(backend: WasmBackendLike, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw backendError('graft kernels: tensor is not on the wasm backend');
  return data.memoryOffset;
}

/**
 * After writing a tensor's memory in place (graft's kernels otherwise write only new outputs):
 * the backend's C++ side keeps XNNPACK operators packed from a tensor's values, keyed by its id
 * (a convolution's filter; a few-row product's right operand, BatchMatMul.ts), and drops them only
 * when the id is disposed. Disposing and registering the id again, at the same memory, drops them
 * without freeing anything, so the next use packs the new values.
 */
export function rewroteInPlace(backend: WasmBackendLike, info: TensorInfo): void {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw backendError('graft kernels: tensor is not on the wasm backend');
  backend.wasm.tfjs.disposeData(data.id);
  backend.wasm.tfjs.registerTensor(data.id, util.sizeFromShape(info.shape), data.memoryOffset);
}

/** The WebAssembly.Memory holding a wasm backend's heap, for graft's own wasm kernels. */
export function wasmMemoryOf(backend: WasmBackendLike): WasmMemoryLike {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (memory == null) throw backendError('graft kernels: this tfjs-backend-wasm exposes no heap memory (written for 4.22)');
  return memory;
}

/** The C++-side tensor id of a wasm tensor. */
export function wasmTensorId(backend: WasmBackendLike, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw backendError('graft kernels: tensor is not on the wasm backend');
  return data.id;
}

/**
 * Registers a C++-side tensor id for `size` floats at `memoryOffset` without allocating, so wasm
 * entry points (which take tensor ids) can run on slices or scratch buffers. The id comes from the
 * backend's own counter so it can never collide with a real tensor. Must be released with
 * `releaseTempId`, which also drops any XNNPACK operator cached on that id.
 */
export function registerTempId(backend: WasmBackendLike, memoryOffset: number, size: number): number {
  const counter = backend as unknown as { dataIdNextNumber?: number };
  if (typeof counter.dataIdNextNumber !== 'number') {
    throw backendError('graft kernels: this tfjs-backend-wasm has no dataIdNextNumber (written for 4.22)');
  }
  const id = counter.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, memoryOffset);
  return id;
}

export function releaseTempId(backend: WasmBackendLike, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}

const cwrapCache = new WeakMap<object, Map<string, (...args: unknown[]) => unknown>>();

/** cwrap a wasm export once per module instance (a re-initialised backend gets fresh wrappers). */
export function wasmFunction(
  backend: WasmBackendLike, name: string, ret: string | null, args: string[],
): (...args: unknown[]) => unknown {
  let fns = cwrapCache.get(backend.wasm);
  if (fns == null) {
    fns = new Map();
    cwrapCache.set(backend.wasm, fns);
  }
  let fn = fns.get(name);
  if (fn == null) {
    fn = backend.wasm.cwrap(name, ret, args);
    fns.set(name, fn);
  }
  return fn;
}
