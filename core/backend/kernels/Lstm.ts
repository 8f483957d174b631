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
 * [H, 4H] = Σ_t h_{t-1}ᵀ dgates_t (one product after the loop). The element-wise work of a time
 * step (gates, cell and hidden state; dgates and the dc carry) is one wasm SIMD call
 * (lstmModule.ts: float64 lanes, each gate within 1 float32 ulp), stored as float32: equal to the
 * composed ops within float32 rounding, not bit for bit.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gemmBlocked, gemmModuleOn } from './gemmModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf, type WasmBackendLike } from './heap.ts';
import { ownWasmKernel, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

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
  const off = (t: TensorInfo) => heapOffset(backend, t);
  const [hsOff, csOff, actsOff, whhOff] = [off(hs), off(cs), off(acts), off(whh)];
  const mod = gemmModuleOn(wasmMemoryOf(backend));
  f32(backend, actsOff, T * B * G).set(f32(backend, off(xproj), T * B * G));
  const [step, gStep] = [B * H * 4, B * G * 4];
  for (let t = 0; t < T; t++) {
    // acts_t (holding xproj_t) += h_{t-1} W_hh, then the cell: gates activated in place, c_t, h_t.
    if (t > 0) gemmBlocked(mod.gemm, B, G, H, hsOff + (t - 1) * step, H * 4, 4, whhOff, G * 4, actsOff + t * gStep, G * 4, true);
    mod.lstmCell(B, H, actsOff + t * gStep, t > 0 ? csOff + (t - 1) * step : 0, csOff + t * step, hsOff + t * step);
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
  try {
    const off = (t: TensorInfo) => heapOffset(backend, t);
    const [dxOff, dwOff, hsOff, csOff, actsOff, dyOff] = [off(dx), off(dw), off(hs), off(cs), off(acts), off(dy)];
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    const dcCarry = carry + B * H * 4;
    f32(backend, carry, 2 * B * H).fill(0);
    if (T > 1) mod.transpose(1, H, G, off(whh), whhT, H, G);
    const [step, gStep] = [B * H * 4, B * G * 4];
    for (let t = T - 1; t >= 0; t--) {
      // dgates_t, and the dc carry for step t-1, from the saved gates and cells, dy_t and the dh carry.
      mod.lstmCellGrad(B, H, actsOff + t * gStep, csOff + t * step, t > 0 ? csOff + (t - 1) * step : 0, dyOff + t * step, carry, dcCarry, dxOff + t * gStep);
      // dh_{t-1} = dgates_t W_hhᵀ
      if (t > 0) gemmBlocked(mod.gemm, B, H, G, dxOff + t * gStep, G * 4, 4, whhT, H * 4, carry, H * 4, false);
    }
    // dW_hh = Σ_{t≥1} h_{t-1}ᵀ dgates_t: hs[0..T-2] read transposed ([K, H] as A [H, K]) against dgates[1..T-1].
    if (T > 1) gemmBlocked(mod.gemm, H, G, (T - 1) * B, hsOff, 4, H * 4, dxOff + gStep, G * 4, dwOff, G * 4, false);
    else f32(backend, dwOff, H * G).fill(0);
  } finally {
    wasm._free(whhT);
    wasm._free(carry);
  }
  return [dx, dw];
}

export const lstmForwardWasm = ownWasmKernel(LSTM_FORWARD_KERNEL, lstmForward);
export const lstmBackwardWasm = ownWasmKernel(LSTM_BACKWARD_KERNEL, lstmBackward);
