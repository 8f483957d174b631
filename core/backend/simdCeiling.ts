/**
 * What one core can do in WebAssembly SIMD here, measured in the calling process (the bench's
 * `ceiling` section): the ceiling that Graft's GEMM, and so the GPT step on wasm, works under.
 *
 * - peak: 12 independent f32x4 accumulators, each `acc = acc + x*y` (mul then add) or, where
 *   relaxed SIMD compiles, `relaxed_madd`; no loads. 128-bit lanes are all wasm has: a native BLAS
 *   on the same core uses 256- or 512-bit FMA (AVX2 / AVX-512), 2-4x the lanes.
 * - gemm: Graft's GEMM alone (gemmModule.ts, one thread, the default tiling) on the products of the
 *   reference GPT's dense layers ([2048,128]x[128,512] and [2048,512]x[512,128]), warm (V8 compiles
 *   wasm with a baseline compiler first and optimises hot functions later), best of several runs.
 */
import { encodeModule, I32, op, V128, type Bytes } from './kernels/wasmEncoder.ts';
import { gemmBlocked, gemmModuleOn } from './kernels/gemmModule.ts';
import { relaxedSimdSupport } from './kernels/relaxedSimd.ts';

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface SimdCeiling {
  /** GFLOP/s of the accumulator loop: separate multiply and add, and relaxed_madd (null without relaxed SIMD). */
  peakGflops: { mulAdd: number; fma: number | null };
  /** Graft's GEMM on one thread, per product shape `MxKxN`. */
  gemmGflops: Record<string, number>;
}

const ACC = 12;

function peakModule(fma: boolean): Uint8Array {
  const g = op.get;
  const x = 1;
  const y = 2;
  const acc = (i: number) => 3 + i;
  const step = (i: number): Bytes => (fma
    ? [...g(x), ...g(y), ...g(acc(i)), ...op.f32x4RelaxedMadd, ...op.set(acc(i))]
    : [...g(acc(i)), ...g(x), ...g(y), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc(i))]);
  const body: Bytes = [
    ...op.i32(0), ...op.v128Load(), ...op.set(x), ...op.i32(16), ...op.v128Load(), ...op.set(y),
    ...op.loop,
    ...Array.from({ length: ACC }, (_, i) => step(i)).flat(),
    ...g(0), ...op.i32(1), ...op.i32Sub, ...op.tee(0), ...op.brIf(0),
    ...op.end,
    // Stored, so no accumulator is dead code.
    ...Array.from({ length: ACC }, (_, i) => [...op.i32(32 + 16 * i), ...g(acc(i)), ...op.v128Store()]).flat(),
  ];
  return encodeModule([{ name: 'peak', params: [I32], locals: [V128, V128, ...new Array<typeof V128>(ACC).fill(V128)], body }], false);
}

/** Best of `runs` timings of f, in ms. */
function best(f: () => void, runs: number): number {
  let ms = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

export function simdCeiling(): SimdCeiling {
  const memory = new wasm.Memory({ initial: 1024 }); // 64 MB
  new Float32Array(memory.buffer, 0, 8).set([1, 1, 1, 1, 1e-7, 1e-7, 1e-7, 1e-7]);
  const peak = (fma: boolean): number => {
    const f = new wasm.Instance(new wasm.Module(peakModule(fma)), { env: { memory } }).exports['peak'] as (n: number) => void;
    const iters = 5e6;
    for (let w = 0; w < 5; w++) f(iters); // to the optimising tier
    return (iters * ACC * 8) / best(() => f(iters), 5) / 1e6;
  };
  const gemmGflops: Record<string, number> = {};
  const { gemm } = gemmModuleOn(memory);
  const f32 = new Float32Array(memory.buffer);
  for (const [m, k, n] of [[2048, 128, 512], [2048, 512, 128]] as const) {
    const a = 1 << 20;
    const b = a + m * k * 4;
    const c = b + k * n * 4;
    for (let i = 0; i < m * k + k * n; i++) f32[a / 4 + i] = ((i % 13) - 6) * 0.01;
    const run = () => gemmBlocked(gemm, m, n, k, a, k * 4, 4, b, n * 4, c, n * 4);
    for (let w = 0; w < 20; w++) run();
    gemmGflops[`${m}x${k}x${n}`] = (2 * m * k * n) / best(run, 10) / 1e6;
  }
  return { peakGflops: { mulAdd: peak(false), fma: relaxedSimdSupport().available ? peak(true) : null }, gemmGflops };
}
