/**
 * A minimal WebAssembly binary encoder: just what graft's generated kernels (gemmModule.ts) use.
 * Pure functions over byte arrays; the opcodes are the spec's (core + 128-bit SIMD).
 */

export type Bytes = number[];

export function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): Bytes {
  const out: Bytes = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function vec(items: Bytes[]): Bytes {
  return [...uleb(items.length), ...items.flat()];
}

function str(s: string): Bytes {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function section(id: number, body: Bytes): Bytes {
  return [id, ...uleb(body.length), ...body];
}

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

const f32Bits = (v: number): Bytes => [...new Uint8Array(new Float32Array([v]).buffer)];
const f64Bits = (v: number): Bytes => [...new Uint8Array(new Float64Array([v]).buffer)];

/** Instructions, each returning its bytes. Memory accesses take a byte offset immediate. */
export const op = {
  /** A SIMD instruction (0xfd prefix) by its opcode, for those without a name here. */
  simd: (code: number): Bytes => [0xfd, ...uleb(code)],
  f32Const: (v: number): Bytes => [0x43, ...f32Bits(v)],
  f64Const: (v: number): Bytes => [0x44, ...f64Bits(v)],
  /** v128.const of four float32 lanes equal to v. */
  f32x4Const: (v: number): Bytes => [0xfd, ...uleb(0x0c), ...f32Bits(v), ...f32Bits(v), ...f32Bits(v), ...f32Bits(v)],
  /** v128.const of two float64 lanes equal to v. */
  f64x2Const: (v: number): Bytes => [0xfd, ...uleb(0x0c), ...f64Bits(v), ...f64Bits(v)],
  get: (i: number): Bytes => [0x20, ...uleb(i)],
  set: (i: number): Bytes => [0x21, ...uleb(i)],
  tee: (i: number): Bytes => [0x22, ...uleb(i)],
  i32: (v: number): Bytes => [0x41, ...sleb(v)],
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32Shl: [0x74], i32ShrU: [0x76],
  i32Eqz: [0x45], i32LtU: [0x49], i32GtU: [0x4b], select: [0x1b], return: [0x0f], i32Ne: [0x47], i32Eq: [0x46], i32LtS: [0x48], i32GtS: [0x4a], i32LeS: [0x4c], i32GeS: [0x4e],
  i32Load: (offset = 0): Bytes => [0x28, 2, ...uleb(offset)],
  i32Store: (offset = 0): Bytes => [0x36, 2, ...uleb(offset)],
  f32Load: (offset = 0): Bytes => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0): Bytes => [0x38, 2, ...uleb(offset)],
  f32Const0: [0x43, 0, 0, 0, 0],
  f32Add: [0x92], f32Sub: [0x93], f32Mul: [0x94], f32Div: [0x95], f32Sqrt: [0x91],
  f64Load: (offset = 0): Bytes => [0x2b, 3, ...uleb(offset)],
  f64Store: (offset = 0): Bytes => [0x39, 3, ...uleb(offset)],
  f64Add: [0xa0], f64Mul: [0xa2], f64PromoteF32: [0xbb], f32DemoteF64: [0xb6],
  f64Const0: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  f64x2PromoteLowF32x4: [0xfd, ...uleb(0x5f)],
  i32And: [0x71],
  /** memory.copy (bulk memory): dst, src, bytes on the stack. */
  memoryCopy: [0xfc, ...uleb(10), 0x00, 0x00],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  v128Load: (offset = 0): Bytes => [0xfd, ...uleb(0x00), 0, ...uleb(offset)],
  v128Load32Splat: (offset = 0): Bytes => [0xfd, ...uleb(0x09), 2, ...uleb(offset)],
  v128Store: (offset = 0): Bytes => [0xfd, ...uleb(0x0b), 0, ...uleb(offset)],
  v128Const0: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  /** i8x16.shuffle written with 32-bit lanes: 0-3 from the first operand, 4-7 from the second. */
  shuffle32: (lanes: readonly number[]): Bytes => [0xfd, ...uleb(0x0d), ...lanes.flatMap(l => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  /** Relaxed SIMD: a*b + c for a, b, c on the stack (fused or not, as the CPU does it). */
  f32x4RelaxedMadd: [0xfd, ...uleb(0x105)],
  f32x4ExtractLane: (lane: number): Bytes => [0xfd, ...uleb(0x1f), lane],
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], else: [0x05], end: [0x0b],
  br: (depth: number): Bytes => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Bytes => [0x0d, ...uleb(depth)],
};

export interface FuncDef {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: Bytes;
  /** Result types (none by default). */
  results?: ValType[];
}

/**
 * A module importing `env.memory` (shared when the host's memory is: the threaded wasm build) and
 * exporting `funcs`.
 */
/**
 * The locals of a function being built, numbered after its `params`: `local(type)` adds one and
 * returns its index (what `local.get` / `local.set` take).
 */
export function localsAfter(params: readonly ValType[]): { locals: ValType[]; local: (t: ValType) => number } {
  const locals: ValType[] = [];
  return { locals, local: (t) => params.length + locals.push(t) - 1 };
}

export function encodeModule(funcs: FuncDef[], sharedMemory: boolean): Uint8Array {
  const types = funcs.map(f => [0x60, ...vec(f.params.map(p => [p])), ...vec((f.results ?? []).map(r => [r]))]);
  // Limits: shared memories must declare a maximum; 65536 pages (4 GiB) admits any host memory.
  const limits = sharedMemory ? [0x03, ...uleb(0), ...uleb(65536)] : [0x00, ...uleb(0)];
  const imports = vec([[...str('env'), ...str('memory'), 0x02, ...limits]]);
  const bodies = funcs.map(f => {
    const locals = vec(f.locals.map(t => [1, t]));
    const code = [...locals, ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

/** An element-wise body's memory and arithmetic ops, on four lanes (f32x4) or one (f32). */
export function f32Lanes(vec: boolean): { load: Bytes; store: Bytes; mul: Bytes; add: Bytes; sub: Bytes; div: Bytes; sqrt: Bytes } {
  return vec
    ? { load: op.v128Load(), store: op.v128Store(), mul: op.f32x4Mul, add: op.f32x4Add, sub: op.f32x4Sub, div: op.f32x4Div, sqrt: op.f32x4Sqrt }
    : { load: op.f32Load(), store: op.f32Store(), mul: op.f32Mul, add: op.f32Add, sub: op.f32Sub, div: op.f32Div, sqrt: op.f32Sqrt };
}

/**
 * The loops of an element-wise function: `off` (an i32 local, bytes) from 0, then for each stage in
 * order `while (off + 4 * elements <= end) { body; off += 4 * elements }`, `end` (an i32 local)
 * holding the array's size in bytes. Stages go from wide (unrolled vectors) to one element, so the
 * last one takes the tail; every element is done by exactly one stage.
 */
export function elementLoops(off: number, end: number, stages: { elements: number; body: Bytes }[]): Bytes {
  const g = op.get;
  return [
    ...op.i32(0), ...op.set(off),
    ...stages.flatMap(({ elements, body }) => [
      ...op.block, ...op.loop,
      ...g(off), ...op.i32(4 * elements), ...op.i32Add, ...g(end), ...op.i32GtS, ...op.brIf(1),
      ...body,
      ...g(off), ...op.i32(4 * elements), ...op.i32Add, ...op.set(off), ...op.br(0),
      ...op.end, ...op.end,
    ]),
  ];
}
