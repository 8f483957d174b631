/**
 * GraftCausalAttention and GraftCausalAttentionGrad: multi-head causal self-attention from the
 * fused qkv projection, forward and gradient, each one kernel on wasm. Not tfjs kernels: graft adds
 * them, and `fusedCausalAttention` (fusedCausalAttention.ts) uses them when the backend has them.
 *
 *   GraftCausalAttention      input qkv [B*T, 3D] (q | k | v, heads side by side in each), and
 *                             optionally mask [B*H, T, T] (dropout on the probabilities: 0 or
 *                             1/keep); attrs batch, time, heads -> [y [B*T, D], p [B*H, T, T]]
 *                             and, with a mask, pd = p * mask (what multiplies v)
 *   GraftCausalAttentionGrad  inputs dy [B*T, D], qkv, p (and pd, mask); same attrs -> dqkv [B*T, 3D]
 *
 * Per head: S = Q Kᵀ, P = softmax(S / sqrt(hd)) over keys j <= i (causalSoftmaxModule.ts), Y = P V
 * written into its columns of y; backward dP = dY Vᵀ, dS = P (dP - rowsum(P dP)) / sqrt(hd),
 * dQ = dS K, dK = dSᵀ Q, dV = Pᵀ dY written into their columns of dqkv.
 *
 * Why: as tfjs ops the same attention is a split, six head transposes, a scale, a mask add, a
 * softmax and its four-op gradient, and six [B*H]-batched products of which the causal mask makes
 * half the work zeros. Here every product reads Q, K, V, dY in place (row strides) and skips the
 * blocks above the diagonal (row blocks of ROWS rows: a query block needs keys up to its last
 * row); a head's products and softmax are one task, run on graft's GEMM threads where the backend
 * has them (any thread takes the next head); only K and V are transposed ([T, D] per sequence,
 * for the products against Kᵀ and Vᵀ).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gemmBlocked, gemmModuleOn, type GemmFn, type TransposeFn } from './gemmModule.ts';
import { gemmPoolOn, gemmThreadsOf } from './gemmThreads.ts';
import type { SoftmaxCausalFn, SoftmaxCausalGradFn } from './causalSoftmaxModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf, type WasmBackendLike } from './heap.ts';
import { ownWasmKernel, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

export const CAUSAL_ATTENTION_KERNEL = 'GraftCausalAttention';
export const CAUSAL_ATTENTION_GRAD_KERNEL = 'GraftCausalAttentionGrad';

/** Query rows per product call: a block reads keys up to its last row (a multiple of 4: the GEMM's tile). */
const ROWS = 32;

export interface CausalAttentionAttrs {
  batch: number;
  time: number;
  heads: number;
}

interface Dims { B: number; T: number; H: number; D: number; hd: number; scale: number }

function dimsOf(name: string, qkv: TensorInfo, attrs: CausalAttentionAttrs): Dims {
  const { batch: B, time: T, heads: H } = attrs;
  const D3 = qkv.shape[1] ?? 0;
  if (qkv.dtype !== 'float32' || qkv.shape.length !== 2 || qkv.shape[0] !== B * T || D3 % (3 * H) !== 0 || T % 4 !== 0 || T < 4) {
    throw backendError(`${name}: expected float32 qkv [batch*time, 3*width] with width a multiple of heads and time a multiple of 4; ` +
      `got ${qkv.dtype} [${qkv.shape}] for batch ${B}, time ${T}, heads ${H}`);
  }
  const D = D3 / 3;
  return { B, T, H, D, hd: D / H, scale: 1 / Math.sqrt(D / H) };
}

/** What a head's task calls: the module's functions, or the pool's recorders of them. */
interface HeadOps {
  gemm: GemmFn;
  transpose: TransposeFn;
  softmaxCausal: SoftmaxCausalFn;
  softmaxCausalGrad: SoftmaxCausalGradFn;
}

/**
 * Runs `each` for every (b, h), a head's whole work in order: as one task each on the GEMM's
 * threads (any thread takes the next head), or in order on this one.
 */
function perHead(backend: WasmBackendLike, d: Dims, each: (ops: HeadOps, b: number, h: number) => void): void {
  const memory = wasmMemoryOf(backend);
  const threads = gemmThreadsOf(backend);
  if (threads > 1) {
    const plan = gemmPoolOn(memory, threads).plan;
    const ops: HeadOps = {
      gemm: plan.record, transpose: plan.recordTranspose,
      softmaxCausal: plan.recordSoftmaxCausal, softmaxCausalGrad: plan.recordSoftmaxCausalGrad,
    };
    for (let b = 0; b < d.B; b++) {
      for (let h = 0; h < d.H; h++) {
        plan.task();
        each(ops, b, h);
      }
    }
    plan.finish();
    return;
  }
  const ops: HeadOps = gemmModuleOn(memory);
  for (let b = 0; b < d.B; b++) for (let h = 0; h < d.H; h++) each(ops, b, h);
}

/**
 * Head h's [T, hd] columns at `col` of sequence b of x [B*T, width], transposed into its [hd, T]
 * block of the [B, D, T] buffer at `dst` (part of the head's task, so the heads' threads share it).
 */
function transposeHead(ops: HeadOps, d: Dims, b: number, h: number, x: number, width: number, col: number, dst: number): void {
  ops.transpose(1, d.T, d.hd, x + (b * d.T * width + col + h * d.hd) * 4, dst + (b * d.D + h * d.hd) * d.T * 4, d.T, width);
}

/** A dropout mask input: absent, or float32 [B*H, T, T]. */
function checkMask(name: string, d: Dims, mask: TensorInfo | undefined): void {
  if (mask != null && (mask.dtype !== 'float32' || mask.shape.join() !== [d.B * d.H, d.T, d.T].join())) {
    throw backendError(`${name}: expected a float32 mask [${d.B * d.H},${d.T},${d.T}], got ${mask.dtype} [${mask.shape}]`);
  }
}

function causalAttention(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { qkv, mask } = args.inputs as { qkv: TensorInfo; mask?: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${CAUSAL_ATTENTION_KERNEL}: wasm only`);
  const d = dimsOf(CAUSAL_ATTENTION_KERNEL, qkv, args.attrs as unknown as CausalAttentionAttrs);
  checkMask(CAUSAL_ATTENTION_KERNEL, d, mask);
  const { B, T, H, D, hd } = d;
  const y = backend.makeOutput([B * T, D], 'float32');
  const p = backend.makeOutput([B * H, T, T], 'float32');
  const pd = mask != null ? backend.makeOutput([B * H, T, T], 'float32') : null;
  const wasm = backend.wasm;
  const kT = wasm._malloc(B * D * T * 4) >>> 0;
  try {
    // Offsets after the malloc: it may grow (and, single-threaded, move) the heap's buffer.
    const x = heapOffset(backend, qkv);
    const yo = heapOffset(backend, y);
    const po = heapOffset(backend, p);
    const mo = mask != null ? heapOffset(backend, mask) : 0;
    const pdo = pd != null ? heapOffset(backend, pd) : 0;
    const W = 3 * D;
    perHead(backend, d, (ops, b, h) => {
      transposeHead(ops, d, b, h, x, W, D, kT);
      const q = x + (b * T * W + h * hd) * 4;
      const kh = kT + (b * D + h * hd) * T * 4;
      const v = x + (b * T * W + 2 * D + h * hd) * 4;
      const head = (b * H + h) * T * T * 4;
      const ph = po + head;
      // What multiplies v: p, or p * mask with dropout.
      const pv = pd != null ? pdo + head : ph;
      // S = Q Kᵀ, each query block against the keys up to its last row.
      for (let i0 = 0; i0 < T; i0 += ROWS) {
        const rows = Math.min(ROWS, T - i0);
        gemmBlocked(ops.gemm, rows, i0 + rows, hd, q + i0 * W * 4, W * 4, 4, kh, T * 4, ph + i0 * T * 4, T * 4);
      }
      ops.softmaxCausal(1, T, ph, d.scale, mo === 0 ? 0 : mo + head, pv === ph ? 0 : pv);
      // Y = P V, each query block over the keys up to its last row.
      for (let i0 = 0; i0 < T; i0 += ROWS) {
        const rows = Math.min(ROWS, T - i0);
        gemmBlocked(ops.gemm, rows, hd, i0 + rows, pv + i0 * T * 4, T * 4, 4, v, W * 4, yo + ((b * T + i0) * D + h * hd) * 4, D * 4);
      }
    });
  } finally {
    wasm._free(kT);
  }
  return pd != null ? [y, p, pd] : [y, p];
}

function causalAttentionGrad(args: KernelArgs): TensorInfo {
  const { backend } = args;
  const { dy, qkv, p, pd, mask } = args.inputs as { dy: TensorInfo; qkv: TensorInfo; p: TensorInfo; pd?: TensorInfo; mask?: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${CAUSAL_ATTENTION_GRAD_KERNEL}: wasm only`);
  const d = dimsOf(CAUSAL_ATTENTION_GRAD_KERNEL, qkv, args.attrs as unknown as CausalAttentionAttrs);
  checkMask(CAUSAL_ATTENTION_GRAD_KERNEL, d, mask);
  if ((pd == null) !== (mask == null) || (pd != null && pd.shape.join() !== p.shape.join())) {
    throw backendError(`${CAUSAL_ATTENTION_GRAD_KERNEL}: pd and mask come together, pd shaped as p`);
  }
  const { B, T, H, D, hd } = d;
  if (dy.dtype !== 'float32' || dy.shape.join() !== [B * T, D].join() || p.dtype !== 'float32' || p.shape.join() !== [B * H, T, T].join()) {
    throw backendError(`${CAUSAL_ATTENTION_GRAD_KERNEL}: expected float32 dy [${B * T},${D}] and p [${B * H},${T},${T}], got ${dy.dtype} [${dy.shape}] and ${p.dtype} [${p.shape}]`);
  }
  const dqkv = backend.makeOutput([B * T, 3 * D], 'float32');
  const wasm = backend.wasm;
  const vT = wasm._malloc(B * D * T * 4) >>> 0;
  const ds = wasm._malloc(B * H * T * T * 4) >>> 0;
  try {
    const x = heapOffset(backend, qkv);
    const dyo = heapOffset(backend, dy);
    const po = heapOffset(backend, p);
    const out = heapOffset(backend, dqkv);
    const mo = mask != null ? heapOffset(backend, mask) : 0;
    const pdo = pd != null ? heapOffset(backend, pd) : 0;
    const W = 3 * D;
    perHead(backend, d, (ops, b, h) => {
      transposeHead(ops, d, b, h, x, W, 2 * D, vT);
      const dyRow = (t: number) => dyo + ((b * T + t) * D + h * hd) * 4;
      const row = (t: number, col: number) => x + ((b * T + t) * W + col + h * hd) * 4;
      const outRow = (t: number, col: number) => out + ((b * T + t) * W + col + h * hd) * 4;
      const vh = vT + (b * D + h * hd) * T * 4;
      const head = (b * H + h) * T * T * 4;
      const dsh = ds + head;
      const ph = po + head;
      // What multiplied v in the forward: p, or p * mask.
      const pv = pd != null ? pdo + head : ph;
      // dP = dY Vᵀ (query blocks against the keys up to their last row), then dS in its place.
      for (let i0 = 0; i0 < T; i0 += ROWS) {
        const rows = Math.min(ROWS, T - i0);
        gemmBlocked(ops.gemm, rows, i0 + rows, hd, dyRow(i0), D * 4, 4, vh, T * 4, dsh + i0 * T * 4, T * 4);
      }
      ops.softmaxCausalGrad(1, T, ph, dsh, d.scale, mo === 0 ? 0 : mo + head);
      // dQ = dS K (query blocks); dK = dSᵀ Q and dV = Pᵀ dY (key blocks, queries from the block's
      // first key on: dS and P are zero above the diagonal).
      for (let i0 = 0; i0 < T; i0 += ROWS) {
        const rows = Math.min(ROWS, T - i0);
        gemmBlocked(ops.gemm, rows, hd, i0 + rows, dsh + i0 * T * 4, T * 4, 4, row(0, D), W * 4, outRow(i0, 0), W * 4);
      }
      for (let j0 = 0; j0 < T; j0 += ROWS) {
        const rows = Math.min(ROWS, T - j0);
        const diag = (j0 * T + j0) * 4;
        gemmBlocked(ops.gemm, rows, hd, T - j0, dsh + diag, 4, T * 4, row(j0, 0), W * 4, outRow(j0, D), W * 4);
        gemmBlocked(ops.gemm, rows, hd, T - j0, pv + diag, 4, T * 4, dyRow(j0), D * 4, outRow(j0, 2 * D), W * 4);
      }
    });
  } finally {
    wasm._free(vT);
    wasm._free(ds);
  }
  return dqkv;
}

export const causalAttentionWasm = ownWasmKernel(CAUSAL_ATTENTION_KERNEL, causalAttention);
export const causalAttentionGradWasm = ownWasmKernel(CAUSAL_ATTENTION_GRAD_KERNEL, causalAttentionGrad);
