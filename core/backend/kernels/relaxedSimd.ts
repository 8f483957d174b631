/**
 * WebAssembly relaxed SIMD (`f32x4.relaxed_madd`: a*b + c, fused where the CPU has FMA) for the
 * generated GEMM. Node 20's V8 (11.3) has it behind `--experimental-wasm-relaxed-simd`, which a
 * process may still turn on for itself before it compiles a module that uses it: V8's flags are
 * process-wide, so worker threads compiling the same bytes see it too. V8 12.x (Node 22 and
 * later) ships relaxed SIMD on by default (Chrome 114 shipped it), where the flag is a no-op.
 *
 * On by default where the multiply-add is fused (a CPU with FMA: one instruction for a*b + c
 * instead of two, so the GEMM's k loop is 20 instructions for 64 flops instead of 28); off where
 * relaxed SIMD is missing or rounds twice (no gain there, and the plain form is bit-identical to
 * XNNPACK). `GRAFT_WASM_FMA=0` turns it off, `GRAFT_WASM_FMA=1` demands it (and fails loudly
 * without relaxed SIMD). Measured on this machine's Zen 5 (2026-12-06, processes taking turns
 * step by step, `bench/MEASURED.md`): the reference GPT step 0.959x the time on 2 threads and
 * 0.973x on 1, the 25M GPT's 0.89-0.97x; the peak is the same (16 flops a cycle either way), the
 * gain is the instructions the loop no longer issues.
 *
 * Numerics: one rounding per multiply-add instead of two (closer to the exact sums, tested against
 * float64 in test/core/backend/gemm.test.ts). Every product of a run takes the same form: with FMA
 * on, no product is routed to XNNPACK (whose kernels round twice; see xnnpackTakes), so results
 * still do not depend on a kernel's history, a thread count or a resume. Results differ in the last
 * bits between machines that fuse and machines that do not, as they do between backends.
 */
import v8 from 'node:v8';
import { ErrorCodes, GraftError } from '../../errors/index.ts';
import { encodeModule, F32, op, V128 } from './wasmEncoder.ts';

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number }) => object;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A module with one function `madd(a, b, c) = relaxed_madd(splat a, splat b, splat c)` lane 0. */
function probeBytes(): Uint8Array {
  const g = op.get;
  return encodeModule([{
    name: 'madd', params: [F32, F32, F32], locals: [], results: [F32],
    body: [...g(0), ...op.f32x4Splat, ...g(1), ...op.f32x4Splat, ...g(2), ...op.f32x4Splat, ...op.f32x4RelaxedMadd, ...op.f32x4ExtractLane(0)],
  }], false);
}

export interface RelaxedSimdFacts {
  /** Whether the GEMM uses relaxed_madd. */
  fma: boolean;
  /** Whether relaxed_madd rounds once here (a fused multiply-add), measured when it is on. */
  fused?: boolean;
  /** Why, in a few words. */
  reason: string;
}

let support: { available: boolean; fused?: boolean } | undefined;
let facts: RelaxedSimdFacts | undefined;

/** Whether this runtime compiles relaxed SIMD (turning V8's flag on if needed) and whether its multiply-add is fused; probed once. */
export function relaxedSimdSupport(): { available: boolean; fused?: boolean } {
  if (support) return support;
  const bytes = probeBytes();
  if (!wasm.validate(bytes)) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Not V8, or flags locked: relaxed SIMD stays as the runtime has it.
    }
  }
  if (!wasm.validate(bytes)) return (support = { available: false });
  // a*b + c with a = b = 1 + 2^-12, c = -(1 + 2^-11): the exact result 2^-24 survives one rounding, not two.
  const madd = new wasm.Instance(new wasm.Module(bytes), { env: { memory: new wasm.Memory({ initial: 0 }) } }).exports['madd'] as (a: number, b: number, c: number) => number;
  const x = 1 + 2 ** -12;
  return (support = { available: true, fused: madd(x, x, -(1 + 2 ** -11)) !== 0 });
}

/**
 * Decide once per process (before the first GEMM module is compiled): GRAFT_WASM_FMA=0 off, =1 on
 * (an error without relaxed SIMD), unset (or empty) on where relaxed SIMD compiles and fuses.
 */
export function relaxedSimd(): RelaxedSimdFacts {
  if (facts) return facts;
  const env = process.env.GRAFT_WASM_FMA;
  if (env !== undefined && env !== '' && env !== '0' && env !== '1') {
    throw new GraftError(ErrorCodes.BAD_OPTION, `GRAFT_WASM_FMA: expected 0 or 1, got '${env}'`, { option: 'GRAFT_WASM_FMA', expected: '0 (separate multiply and add), 1 (relaxed SIMD fused multiply-add) or unset (fused where the CPU fuses)', received: env });
  }
  // Off: nothing probed, no V8 flag touched.
  if (env === '0') return (facts = { fma: false, reason: 'off (GRAFT_WASM_FMA=0)' });
  const s = relaxedSimdSupport();
  if (env === '1') {
    if (!s.available) throw new GraftError(ErrorCodes.BACKEND, 'GRAFT_WASM_FMA=1 but this runtime has no WebAssembly relaxed SIMD', { hint: 'Use Node 20 or later, or unset GRAFT_WASM_FMA' });
    return (facts = { fma: true, fused: s.fused, reason: `on (GRAFT_WASM_FMA=1): relaxed SIMD, ${s.fused ? 'fused on this CPU' : 'not fused on this CPU (multiply then add)'}` });
  }
  if (!s.available) return (facts = { fma: false, reason: 'off: this runtime has no WebAssembly relaxed SIMD' });
  if (!s.fused) return (facts = { fma: false, fused: false, reason: 'off: relaxed SIMD rounds twice on this CPU (no fused multiply-add to gain)' });
  return (facts = { fma: true, fused: true, reason: 'on: relaxed SIMD, fused on this CPU (GRAFT_WASM_FMA=0 turns it off)' });
}
