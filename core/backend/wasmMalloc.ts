/**
 * A failed allocation on the wasm heap as an error naming what to change, instead of a crash.
 *
 * emscripten's malloc (memory growth on) returns 0 when the heap cannot grow (wasm32 addresses at
 * most 4 GB), or, in tfjs's one-thread build near 4 GB, a block past the heap's end. tfjs-backend-wasm uses the pointer as it is, so a model too large for the heap failed
 * later and far away: "RuntimeError: table index is out of bounds" inside a kernel on one thread,
 * a hang on two (measured with a 50M GPT at batch 16 x 128 without activation checkpointing). A
 * request of 4 GB or more is worse: the wasm ABI cuts it to 32 bits and a smaller block comes back.
 * Installed once per backend on the emscripten module's `_malloc`, which tfjs and graft's kernels
 * look up at every call; allocations inside wasm code (XNNPACK's scratch) are not seen.
 */
import { ErrorCodes, GraftError } from '../errors/index.ts';
import type { WasmModuleLike } from './kernels/heap.ts';

const guarded = new WeakSet<object>();

/** The largest heap a wasm32 module can have, in bytes. */
export const WASM32_MAX_BYTES = 2 ** 32;

export function outOfWasmMemory(bytes: number, heapBytes: number): GraftError {
  const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;
  return new GraftError(ErrorCodes.OUT_OF_MEMORY, `out of memory on the wasm heap: ${mb(bytes)} more did not fit (the heap is ${mb(heapBytes)}, at most ${mb(WASM32_MAX_BYTES)})`, {
    hint: 'Make the training step smaller: model.activationCheckpointing=true (transformers: keeps one block\'s activations instead of all), a smaller batchSize or contextLength, or a smaller model. The wasm backend addresses at most 4 GB; tfjs-node has no such limit',
  });
}

/** Make `wasm._malloc` throw `GRAFT_ERR_OUT_OF_MEMORY` where it would return 0 or a truncated block. */
export function guardWasmMalloc(wasm: WasmModuleLike): void {
  if (guarded.has(wasm)) return;
  // emscripten's first call replaces the `_malloc` wrapper with the raw export: make that call
  // first, so the guard below is not replaced in turn.
  wasm._free(wasm._malloc(16));
  const raw = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number): number => {
    if (bytes >= WASM32_MAX_BYTES) throw outOfWasmMemory(bytes, wasm.HEAPU8.buffer.byteLength);
    const ptr = raw(bytes);
    // 0: the heap could not grow. A block past the heap's end: tfjs's one-thread build returns
    // that instead near 4 GB (measured: a 1.5 GB request after 3 GB came back at 3 GB, the heap
    // still 3 GB); the pointer is signed there, hence `>>> 0`.
    const heap = wasm.HEAPU8.buffer.byteLength;
    if (bytes > 0 && (ptr === 0 || (ptr >>> 0) + bytes > heap)) throw outOfWasmMemory(bytes, heap);
    return ptr;
  };
  guarded.add(wasm);
}
