/**
 * GELU (tanh form, as GPT-2, written with a sigmoid: see core/nn/layers.ts) pieces in WebAssembly
 * SIMD, instantiated on the wasm backend's memory (see gemmModule.ts for the approach):
 *
 *   geluPre(n, x, z):        z = ((x*x)*x*k1 + x) * c      k1 = 0.044715, c = 2 sqrt(2/pi)
 *   geluGrad(n, x, s, dy, dx): dx = dy * (s + x * (s*(1-s)) * (c * (1 + k3 * x*x)))   k3 = 3 k1
 *
 * geluPre does the float32 operations of the tfjs ops in gelu() in their order (bit-identical);
 * the sigmoid stays tfjs's. geluGrad is the derivative with s = sigmoid(z) from the forward pass,
 * one pass instead of the ~14 ops autodiff makes of gelu's graph.
 */
import { encodeModule, I32, op, type Bytes, type ValType } from './wasmEncoder.ts';
import { perMemory } from './moduleOnMemory.ts';

export const GELU_K1 = Math.fround(0.044715);
export const GELU_C = Math.fround(Math.sqrt(2 / Math.PI) * 2);
export const GELU_K3 = Math.fround(3 * 0.044715);

function f32Const(v: number): Bytes {
  return [0x43, ...new Uint8Array(new Float32Array([v]).buffer)];
}

/** A function over `arrays` flat float32 arrays (byte pointers after n), vector body then scalar tail. */
function elementwise(arrays: number, step: (vec: boolean, at: (a: number) => Bytes, k: (v: number) => Bytes) => Bytes): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const params: ValType[] = [I32, ...new Array<ValType>(arrays).fill(I32)];
  const locals: ValType[] = [];
  const local = (t: ValType) => params.length + locals.push(t) - 1;
  const off = local(I32);
  const end4 = local(I32);
  const end = local(I32);
  const g = op.get;
  const at = (a: number): Bytes => [...g(1 + a), ...g(off), ...op.i32Add];
  const loop = (limit: number, by: number, vec: boolean): Bytes => [
    ...op.block, ...op.loop,
    ...g(off), ...g(limit), ...op.i32GeS, ...op.brIf(1),
    ...step(vec, at, v => (vec ? [...f32Const(v), ...op.f32x4Splat] : f32Const(v))),
    ...g(off), ...op.i32(by), ...op.i32Add, ...op.set(off), ...op.br(0),
    ...op.end, ...op.end,
  ];
  const body: Bytes = [
    ...g(0), ...op.i32(2), ...op.i32Shl, ...op.set(end),
    ...g(0), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl, ...op.set(end4),
    ...op.i32(0), ...op.set(off),
    ...loop(end4, 16, true),
    ...loop(end, 4, false),
  ];
  return { params, locals, body };
}

function ops(vec: boolean) {
  return {
    load: vec ? op.v128Load() : op.f32Load(),
    store: vec ? op.v128Store() : op.f32Store(),
    mul: vec ? op.f32x4Mul : op.f32Mul,
    add: vec ? op.f32x4Add : op.f32Add,
    sub: vec ? op.f32x4Sub : op.f32Sub,
  };
}

const X = 0;

function buildPre() {
  // arrays: x, z
  return elementwise(2, (vec, at, k) => {
    const o = ops(vec);
    const x = [...at(X), ...o.load];
    return [
      ...at(1),
      ...x, ...x, ...o.mul, ...x, ...o.mul, ...k(GELU_K1), ...o.mul, // (x*x)*x*k1
      ...x, ...o.add, // that + x (IEEE addition commutes)
      ...k(GELU_C), ...o.mul,
      ...o.store,
    ];
  });
}

function buildGrad() {
  // arrays: x, s, dy, dx
  return elementwise(4, (vec, at, k) => {
    const o = ops(vec);
    const x = [...at(0), ...o.load];
    const s = [...at(1), ...o.load];
    return [
      ...at(3),
      ...at(2), ...o.load, // dy
      ...s,
      ...x,
      ...s, ...k(1), ...s, ...o.sub, ...o.mul, // s*(1-s)
      ...k(GELU_C), ...k(1), ...k(GELU_K3), ...x, ...x, ...o.mul, ...o.mul, ...o.add, ...o.mul, // c*(1 + k3*(x*x))
      ...o.mul, // (s(1-s)) * (c(...))
      ...o.mul, // x * that
      ...o.add, // s + that
      ...o.mul, // dy * that
      ...o.store,
    ];
  });
}

export type GeluPreFn = (n: number, x: number, z: number) => void;
export type GeluGradFn = (n: number, x: number, s: number, dy: number, dx: number) => void;

export function geluModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: 'geluPre', ...buildPre() }, { name: 'geluGrad', ...buildGrad() }], sharedMemory);
}

/** The module instantiated on `memory` (a WebAssembly.Memory), once per memory. */
export const geluOn: (memory: { buffer: ArrayBufferLike }) => { geluPre: GeluPreFn; geluGrad: GeluGradFn } = perMemory(
  geluModuleBytes,
  (exports) => ({ geluPre: exports['geluPre'] as GeluPreFn, geluGrad: exports['geluGrad'] as GeluGradFn }),
);
