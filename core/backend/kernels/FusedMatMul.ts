/**
 * _FusedMatMul (dense layers: matmul + bias) for wasm on graft's GEMM, for every layout.
 *
 * tfjs-backend-wasm 4.22 runs it on XNNPACK only without transposes and batches, repacking the
 * weights each time they are a new tensor (every training step). Here each output's running sum
 * starts from its bias (the GEMM reads the bias row in place) and the product accumulates onto it:
 * XNNPACK's own order, so results are bit-identical to it where the GEMM rounds twice
 * (`GRAFT_WASM_FMA=0`, or a CPU without FMA; see relaxedSimd.ts).
 * Activations other than linear, PReLU weights and biases that are not one row go to stock.
 */
import { _FusedMatMul, util } from '@tensorflow/tfjs-core';
import type { _FusedMatMulAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { matMulOnGemm, xnnpackTakes } from './BatchMatMul.ts';
import { isWasmBackend } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function fusedMatMul(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const backend = args.backend;
  const { a, b, bias, preluActivationWeights } = args.inputs as {
    a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo;
  };
  const { transposeA, transposeB, activation } = args.attrs as unknown as _FusedMatMulAttrs;
  const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const biasIsRow = bias == null ||
    (bias.dtype === 'float32' && util.sizeFromShape(bias.shape) === n && bias.shape[bias.shape.length - 1] === n);
  if (!isWasmBackend(backend) || a.dtype !== 'float32' || b.dtype !== 'float32' || !biasIsRow ||
    preluActivationWeights != null || (activation != null && activation !== 'linear')) {
    return runStock(stock, args);
  }
  // A row or three against fixed weights used again: stock's XNNPACK (same sums; never with FMA on: see xnnpackTakes).
  // (Stock runs XNNPACK only for untransposed operands without batches.)
  const plain = !transposeA && !transposeB && util.sizeFromShape(a.shape.slice(0, -2)) === 1;
  if (plain && (bias == null || bias.shape.length === 1) && xnnpackTakes(backend, a, b, false, false)) return runStock(stock, args);
  return matMulOnGemm(backend, a, b, transposeA, transposeB, bias ?? null);
}

export const fusedMatMulWasm: GraftKernelSpec = {
  kernelName: _FusedMatMul,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({
    kernelName: _FusedMatMul,
    backendName: 'wasm',
    kernelFunc: asKernelFunc(args => fusedMatMul(args, stock)),
  }),
};
