/**
 * reduceRows (reduceImpl.ts) in WebAssembly SIMD for float32 tensors on the wasm backend, with
 * the same float64 arithmetic in the same order, so results are bit-identical to the JS loop:
 *
 *   reduceRows(outer, reduce, inner, x, o, acc, scale)
 *   o[p, i] = f32(scale * sum_r x[p, r, i]), summing rows eight at a time as
 *   acc[i] += ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) in float64, then one by one.
 *
 * Four columns at a time: eight f32x4 row loads, each widened to two f64x2. `acc` is scratch for
 * `inner` float64s. The JS loop measured ~2 ns an element; the bias gradients of a reference-GPT
 * step sum ~30 M elements.
 */
import { encodeModule, F64, I32, op, V128, type Bytes, type ValType, localsAfter } from './wasmEncoder.ts';
import { perMemory } from './moduleOnMemory.ts';

const P = { outer: 0, reduce: 1, inner: 2, x: 3, o: 4, acc: 5, scale: 6 };
const PARAMS: ValType[] = [I32, I32, I32, I32, I32, I32, F64];

function buildReduceRows(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const { locals, local } = localsAfter(PARAMS);
  const p = local(I32);
  const r = local(I32);
  const i = local(I32);
  const rowBytes = local(I32);
  const base = local(I32); // byte address of x[p, r, 0]
  const src = local(I32);
  const lo = Array.from({ length: 8 }, () => local(V128));
  const hi = Array.from({ length: 8 }, () => local(V128));
  const d = Array.from({ length: 8 }, () => local(F64));
  const g = op.get;
  const inc = (x: number, by: Bytes): Bytes => [...g(x), ...by, ...op.i32Add, ...op.set(x)];
  const whileLe = (lhs: Bytes, limit: Bytes, body: Bytes): Bytes => [
    ...op.block, ...op.loop, ...lhs, ...limit, ...op.i32GtS, ...op.brIf(1), ...body, ...op.br(0), ...op.end, ...op.end,
  ];
  const accAt = (extra = 0): Bytes => [...g(P.acc), ...g(i), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...(extra ? [...op.i32(extra), ...op.i32Add] : [])];
  /** ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7)) of eight locals. */
  const tree = (v: number[], add: Bytes): Bytes => [
    ...g(v[0]!), ...g(v[1]!), ...add, ...g(v[2]!), ...g(v[3]!), ...add, ...add,
    ...g(v[4]!), ...g(v[5]!), ...add, ...g(v[6]!), ...g(v[7]!), ...add, ...add, ...add,
  ];
  /** src = base + i*4 + k*rowBytes for row k of the eight. */
  const rowLoadAddr = (k: number): Bytes => [...g(src), ...(k === 0 ? [] : [...g(rowBytes), ...op.i32(k), ...op.i32Mul, ...op.i32Add])];
  const vec8 = [
    ...g(base), ...g(i), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(src),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap(k => [
      ...rowLoadAddr(k), ...op.v128Load(), ...op.tee(hi[k]!), ...op.f64x2PromoteLowF32x4, ...op.set(lo[k]!),
      ...g(hi[k]!), ...g(hi[k]!), ...op.shuffle32([2, 3, 2, 3]), ...op.f64x2PromoteLowF32x4, ...op.set(hi[k]!),
    ]),
    ...accAt(), ...accAt(), ...op.v128Load(), ...tree(lo, op.f64x2Add), ...op.f64x2Add, ...op.v128Store(),
    ...accAt(16), ...accAt(16), ...op.v128Load(), ...tree(hi, op.f64x2Add), ...op.f64x2Add, ...op.v128Store(),
  ];
  const scalar8 = [
    ...g(base), ...g(i), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(src),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap(k => [...rowLoadAddr(k), ...op.f32Load(), ...op.f64PromoteF32, ...op.set(d[k]!)]),
    ...accAt(), ...accAt(), ...op.f64Load(), ...tree(d, op.f64Add), ...op.f64Add, ...op.f64Store(),
  ];
  /** acc[i] += x[base + i] for one remaining row, every column. */
  const oneRow = [
    ...op.i32(0), ...op.set(i),
    ...whileLe([...g(i), ...op.i32(1), ...op.i32Add], g(P.inner), [
      ...accAt(), ...accAt(), ...op.f64Load(),
      ...g(base), ...g(i), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load(), ...op.f64PromoteF32,
      ...op.f64Add, ...op.f64Store(),
      ...inc(i, op.i32(1)),
    ]),
  ];
  const body: Bytes = [
    ...g(P.inner), ...op.i32(2), ...op.i32Shl, ...op.set(rowBytes),
    ...g(P.x), ...op.set(base),
    ...op.i32(0), ...op.set(p),
    ...whileLe([...g(p), ...op.i32(1), ...op.i32Add], g(P.outer), [
      // acc = 0
      ...op.i32(0), ...op.set(i),
      ...whileLe([...g(i), ...op.i32(1), ...op.i32Add], g(P.inner), [...accAt(), ...op.f64Const0, ...op.f64Store(), ...inc(i, op.i32(1))]),
      // Rows eight at a time: four columns at a time, then the last columns.
      ...op.i32(0), ...op.set(r),
      ...whileLe([...g(r), ...op.i32(8), ...op.i32Add], g(P.reduce), [
        ...op.i32(0), ...op.set(i),
        ...whileLe([...g(i), ...op.i32(4), ...op.i32Add], g(P.inner), [...vec8, ...inc(i, op.i32(4))]),
        ...whileLe([...g(i), ...op.i32(1), ...op.i32Add], g(P.inner), [...scalar8, ...inc(i, op.i32(1))]),
        ...inc(base, [...g(rowBytes), ...op.i32(8), ...op.i32Mul]),
        ...inc(r, op.i32(8)),
      ]),
      // The remaining rows one by one.
      ...whileLe([...g(r), ...op.i32(1), ...op.i32Add], g(P.reduce), [...oneRow, ...inc(base, g(rowBytes)), ...inc(r, op.i32(1))]),
      // o[p, i] = f32(acc[i] * scale)
      ...op.i32(0), ...op.set(i),
      ...whileLe([...g(i), ...op.i32(1), ...op.i32Add], g(P.inner), [
        ...g(P.o), ...g(i), ...op.i32(2), ...op.i32Shl, ...op.i32Add,
        ...accAt(), ...op.f64Load(), ...g(P.scale), ...op.f64Mul, ...op.f32DemoteF64, ...op.f32Store(),
        ...inc(i, op.i32(1)),
      ]),
      ...inc(P.o, g(rowBytes)),
      ...inc(p, op.i32(1)),
    ]),
  ];
  return { params: PARAMS, locals, body };
}

export type ReduceRowsFn = (outer: number, reduce: number, inner: number, x: number, o: number, acc: number, scale: number) => void;

export function reduceModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: 'reduceRows', ...buildReduceRows() }], sharedMemory);
}

/** `reduceRows` instantiated on `memory` (a WebAssembly.Memory), once per memory. */
export const reduceRowsOn: (memory: { buffer: ArrayBufferLike }) => ReduceRowsFn = perMemory(
  reduceModuleBytes,
  (exports) => exports['reduceRows'] as ReduceRowsFn,
);
