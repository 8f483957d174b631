/**
 * Graft's generated wasm modules import the backend's own memory (`env.memory`) so they work on
 * tensors in place. One instance per memory: the backend keeps one memory for its lifetime, and a
 * threaded build's memory is shared, which the module must declare.
 */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** A WebAssembly.Memory, as far as instantiation needs it. */
export interface MemoryLike {
  buffer: ArrayBufferLike;
}

/** A fresh instance of the module `bytes(shared)` builds, importing `memory`; its exports. */
export function instantiateOn(memory: MemoryLike, bytes: (sharedMemory: boolean) => Uint8Array): Record<string, unknown> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  return new webAssembly.Instance(new webAssembly.Module(bytes(shared)), { env: { memory } }).exports;
}

/** `memory -> pick(exports)`, instantiating the module once per memory. */
export function perMemory<T>(bytes: (sharedMemory: boolean) => Uint8Array, pick: (exports: Record<string, unknown>) => T): (memory: MemoryLike) => T {
  const instances = new WeakMap<object, T>();
  return (memory) => {
    let picked = instances.get(memory);
    if (picked === undefined) {
      picked = pick(instantiateOn(memory, bytes));
      instances.set(memory, picked);
    }
    return picked;
  };
}
