/**
 * GraftLstmForward and GraftLstmBackward: an LSTM layer's whole recurrence as one kernel each way
 * (as cuDNN runs it), on graft's GEMM. Not tfjs kernels: graft adds them, and `fusedLstm`
 * (fusedLstm.ts) uses them when the backend has them.
 *
 * Why: as tfjs ops a time step is ~10 kernels forward and ~25 in the gradient autodiff builds,
 * each a call with its own allocation, on tensors of B x 4H (16 x 512 in ULMFiT's bench): per-call
 * cost, not arithmetic, made the AWD-LSTM step (70 steps x 3 layers) run at 3 GFLOP/s.
 *
 * Forward, inputs xproj [T, B, 4H] (x W_ih + b, gates i, f, g, o: PyTorch's order) and whh [H, 4H]:
 *   gates_t = xproj_t + h_{t-1} W_hh;  i, f, o = σ, g = tanh;  c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
 * from h_0 = c_0 = 0; outputs hs, cs [T, B, H] and the activated gates acts [T, B, 4H] (kept for
 * the backward pass). Backward, from dhs [T, B, H]: dgates [T, B, 4H] (= d xproj) and dW_hh
 * [H, 4H] = Σ_t h_{t-1}ᵀ dgates_t (one product after the loop). The gates' exponentials come a
 * time step at a time from the wasm SIMD `exp` (e^{-x} for σ, e^{-2|x|} for tanh; lstmMath.ts),
 * the rest in float64 arithmetic, stored as float32: equal to the composed ops within float32
 * rounding (a gate within ~1 ulp), not bit for bit.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gemmBlocked, gemmModuleOn } from './gemmModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf, type WasmBackendLike } from './heap.ts';
import { ownWasmKernel, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';
import { sigmoidFromExp, tanhFromExp } from './lstmMath.ts';

export const LSTM_FORWARD_KERNEL = 'GraftLstmForward';
export const LSTM_BACKWARD_KERNEL = 'GraftLstmBackward';

function sizes(name: string, xproj: TensorInfo, whh: TensorInfo): [number, number, number] {
  if (xproj.dtype !== 'float32' || whh.dtype !== 'float32' || xproj.shape.length !== 3 || whh.shape.length !== 2) {
    throw backendError(`${name}: expects float32 xproj [T, B, 4H] and whh [H, 4H], got ${xproj.dtype} [${xproj.shape}] and ${whh.dtype} [${whh.shape}]`);
  }
  const [T, B, G] = xproj.shape as [number, number, number];
  const H = G / 4;
  if (!Number.isInteger(H) || whh.shape[0] !== H || whh.shape[1] !== G) throw backendError(`${name}: whh [${whh.shape}] does not match xproj [${xproj.shape}] (expected [${H}, ${G}])`);
  return [T, B, H];
}

function f32(backend: WasmBackendLike, offset: number, n: number): Float32Array {
  return new Float32Array(wasmMemoryOf(backend).buffer, offset, n);
}

function lstmForward(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { xproj, whh } = args.inputs as { xproj: TensorInfo; whh: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${LSTM_FORWARD_KERNEL}: wasm only`);
  const [T, B, H] = sizes(LSTM_FORWARD_KERNEL, xproj, whh);
  const G = 4 * H;
  const hs = backend.makeOutput([T, B, H], 'float32');
  const cs = backend.makeOutput([T, B, H], 'float32');
  const acts = backend.makeOutput([T, B, G], 'float32');
  if (T * B * H === 0) return [hs, cs, acts];
  // Scratch for a time step's exponentials: B x 4H for the gates, B x H for tanh(c).
  const wasm = backend.wasm;
  const ez = wasm._malloc((B * G + B * H) * 4) >>> 0;
  try {
    // Every allocation is done: views stay valid (the GEMM and exp never grow the heap).
    const off = (t: TensorInfo) => heapOffset(backend, t);
    const [hsOff, actsOff, whhOff] = [off(hs), off(acts), off(whh)];
    const X = f32(backend, off(xproj), T * B * G);
    const A = f32(backend, actsOff, T * B * G);
    const C = f32(backend, off(cs), T * B * H);
    const Hs = f32(backend, hsOff, T * B * H);
    const E = f32(backend, ez, B * G);
    const ezc = ez + B * G * 4;
    const Ec = f32(backend, ezc, B * H);
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    A.set(X);
    for (let t = 0; t < T; t++) {
      // acts_t (holding xproj_t) += h_{t-1} W_hh
      if (t > 0) gemmBlocked(mod.gemm, B, G, H, hsOff + (t - 1) * B * H * 4, H * 4, 4, whhOff, G * 4, actsOff + t * B * G * 4, G * 4, true);
      const a0 = t * B * G;
      // e^{-x} for i, f and o, e^{-2|x|} for g: one SIMD pass over the step's B x 4H gates.
      for (let b = 0; b < B; b++) {
        const r = b * G;
        for (let j = 0; j < 2 * H; j++) E[r + j] = -A[a0 + r + j]!;
        for (let j = 2 * H; j < 3 * H; j++) {
          const x = A[a0 + r + j]!;
          E[r + j] = -2 * (x < 0 ? -x : x);
        }
        for (let j = 3 * H; j < G; j++) E[r + j] = -A[a0 + r + j]!;
      }
      mod.exp(B * G, ez, ez);
      for (let b = 0; b < B; b++) {
        const g0 = a0 + b * G;
        const e0 = b * G;
        const h0 = (t * B + b) * H;
        const p0 = ((t - 1) * B + b) * H;
        for (let j = 0; j < H; j++) {
          const i = sigmoidFromExp(E[e0 + j]!);
          const f = sigmoidFromExp(E[e0 + H + j]!);
          const g = tanhFromExp(A[g0 + 2 * H + j]!, E[e0 + 2 * H + j]!);
          A[g0 + j] = i;
          A[g0 + H + j] = f;
          A[g0 + 2 * H + j] = g;
          A[g0 + 3 * H + j] = sigmoidFromExp(E[e0 + 3 * H + j]!);
          const c = (t > 0 ? f * C[p0 + j]! : 0) + i * g;
          C[h0 + j] = c;
          const cr = C[h0 + j]!;
          Ec[b * H + j] = -2 * (cr < 0 ? -cr : cr);
        }
      }
      // h_t = o tanh(c_t), from the stored (float32) c_t and o.
      mod.exp(B * H, ezc, ezc);
      for (let b = 0; b < B; b++) {
        const g0 = a0 + b * G;
        const h0 = (t * B + b) * H;
        for (let j = 0; j < H; j++) Hs[h0 + j] = A[g0 + 3 * H + j]! * tanhFromExp(C[h0 + j]!, Ec[b * H + j]!);
      }
    }
  } finally {
    wasm._free(ez);
  }
  return [hs, cs, acts];
}

function lstmBackward(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { dy, hs, cs, acts, whh } = args.inputs as { dy: TensorInfo; hs: TensorInfo; cs: TensorInfo; acts: TensorInfo; whh: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${LSTM_BACKWARD_KERNEL}: wasm only`);
  const [T, B, H] = sizes(LSTM_BACKWARD_KERNEL, acts, whh);
  for (const x of [dy, hs, cs]) if (x.shape.join() !== [T, B, H].join()) throw backendError(`${LSTM_BACKWARD_KERNEL}: [${x.shape}] is not [${T}, ${B}, ${H}]`);
  const G = 4 * H;
  const dx = backend.makeOutput([T, B, G], 'float32');
  const dw = backend.makeOutput([H, G], 'float32');
  const wasm = backend.wasm;
  // Scratch: W_hhᵀ [4H, H], dh and dc carried from step t+1 [B, H].
  const whhT = wasm._malloc(G * H * 4) >>> 0;
  const carry = wasm._malloc(2 * B * H * 4) >>> 0;
  // e^{-2|c|} of every cell, for tanh(c) (see lstmMath.ts).
  const ecs = wasm._malloc(T * B * H * 4) >>> 0;
  try {
    const off = (t: TensorInfo) => heapOffset(backend, t);
    const [dxOff, dwOff, hsOff] = [off(dx), off(dw), off(hs)];
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    const Dy = f32(backend, off(dy), T * B * H);
    const C = f32(backend, off(cs), T * B * H);
    const A = f32(backend, off(acts), T * B * G);
    const D = f32(backend, dxOff, T * B * G);
    const dhNext = f32(backend, carry, B * H);
    const dcNext = f32(backend, carry + B * H * 4, B * H);
    const Ec = f32(backend, ecs, T * B * H);
    for (let k = 0; k < T * B * H; k++) {
      const c = C[k]!;
      Ec[k] = -2 * (c < 0 ? -c : c);
    }
    mod.exp(T * B * H, ecs, ecs);
    dhNext.fill(0);
    dcNext.fill(0);
    if (T > 1) mod.transpose(1, H, G, off(whh), whhT, H, G);
    for (let t = T - 1; t >= 0; t--) {
      for (let b = 0; b < B; b++) {
        const g0 = (t * B + b) * G;
        const h0 = (t * B + b) * H;
        const p0 = ((t - 1) * B + b) * H;
        for (let j = 0; j < H; j++) {
          const i = A[g0 + j]!;
          const f = A[g0 + H + j]!;
          const g = A[g0 + 2 * H + j]!;
          const o = A[g0 + 3 * H + j]!;
          const tc = tanhFromExp(C[h0 + j]!, Ec[h0 + j]!);
          const dh = Dy[h0 + j]! + dhNext[b * H + j]!;
          const dc = dcNext[b * H + j]! + dh * o * (1 - tc * tc);
          D[g0 + j] = dc * g * i * (1 - i);
          D[g0 + H + j] = t > 0 ? dc * C[p0 + j]! * f * (1 - f) : 0;
          D[g0 + 2 * H + j] = dc * i * (1 - g * g);
          D[g0 + 3 * H + j] = dh * tc * o * (1 - o);
          dcNext[b * H + j] = dc * f;
        }
      }
      // dh_{t-1} = dgates_t W_hhᵀ
      if (t > 0) gemmBlocked(mod.gemm, B, H, G, dxOff + t * B * G * 4, G * 4, 4, whhT, H * 4, carry, H * 4, false);
    }
    // dW_hh = Σ_{t≥1} h_{t-1}ᵀ dgates_t: hs[0..T-2] read transposed ([K, H] as A [H, K]) against dgates[1..T-1].
    if (T > 1) gemmBlocked(mod.gemm, H, G, (T - 1) * B, hsOff, 4, H * 4, dxOff + B * G * 4, G * 4, dwOff, G * 4, false);
    else f32(backend, dwOff, H * G).fill(0);
  } finally {
    wasm._free(whhT);
    wasm._free(carry);
    wasm._free(ecs);
  }
  return [dx, dw];
}

export const lstmForwardWasm = ownWasmKernel(LSTM_FORWARD_KERNEL, lstmForward);
export const lstmBackwardWasm = ownWasmKernel(LSTM_BACKWARD_KERNEL, lstmBackward);
