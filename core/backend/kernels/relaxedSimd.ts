/**
 * WebAssembly relaxed SIMD (`f32x4.relaxed_madd`: a*b + c, fused where the CPU has FMA) for the
 * generated GEMM. Node 20's V8 (11.3) has it behind `--experimental-wasm-relaxed-simd`, which a
 * process may still turn on for itself before it compiles a module that uses it: V8's flags are
 * process-wide, so worker threads compiling the same bytes see it too. V8 12.x (Node 22 and
 * later) ships relaxed SIMD on by default (Chrome 114 shipped it), where the flag is a no-op.
 *
 * Off by default, `GRAFT_WASM_FMA=1` turns it on (and fails loudly without relaxed SIMD). Measured
 * here, the GPT reference step took 7% less CPU with it (the 512x512x512 product alone gained
 * nothing: that loop is bound by loads and broadcasts). But it rounds each product once instead of
 * twice, so the GEMM is no longer bit-identical to XNNPACK's kernels, and the wasm kernels route
 * some products to XNNPACK by history (weights used again, packed once): a run resumed from a
 * checkpoint then takes other routes than the run it continues and drifts in the last bits
 * (measured: a validation loss 2.4e-7 apart after a resume, test/faults/resume.test.ts). Exact
 * resume comes first; with FMA on, it holds to float rounding only.
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

/** Decide once per process (before the first GEMM module is compiled): on only with GRAFT_WASM_FMA=1. */
export function relaxedSimd(): RelaxedSimdFacts {
  if (facts) return facts;
  const env = process.env.GRAFT_WASM_FMA;
  if (env !== undefined && env !== '' && env !== '0' && env !== '1') {
    throw new GraftError(ErrorCodes.BAD_OPTION, `GRAFT_WASM_FMA: expected 0 or 1, got '${env}'`, { option: 'GRAFT_WASM_FMA', expected: '0 (separate multiply and add) or 1 (relaxed SIMD fused multiply-add)', received: env });
  }
  // Off: nothing probed, no V8 flag touched.
  if (env !== '1') return (facts = { fma: false, reason: 'off (GRAFT_WASM_FMA=1 turns it on)' });
  const s = relaxedSimdSupport();
  if (!s.available) throw new GraftError(ErrorCodes.BACKEND, 'GRAFT_WASM_FMA=1 but this runtime has no WebAssembly relaxed SIMD', { hint: 'Use Node 20 or later, or unset GRAFT_WASM_FMA' });
  return (facts = { fma: true, fused: s.fused, reason: `on (GRAFT_WASM_FMA=1): relaxed SIMD, ${s.fused ? 'fused on this CPU' : 'not fused on this CPU (multiply then add)'}` });
}
