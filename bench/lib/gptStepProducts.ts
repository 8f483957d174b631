/**
 * The matrix products of one GPT training step (forward and backward), as the bench's GPT computes
 * them: per layer the four dense layers (qkv, attention output, MLP in, MLP out: in the forward
 * X·W, in the backward dY·Wᵀ and Xᵀ·dY), the attention scores Q·Kᵀ and weighted sums P·V per head
 * (and their four gradient products), and the tied head X·Eᵀ with its two gradients. The token
 * embedding's gradient is a scatter-add, not a product; biases, layer norms and the optimizer are
 * element-wise. Used to time the products alone (a floor for the step at that GEMM).
 */
import type { GptBenchConfig } from '../config.ts';

export interface StepProduct {
  name: string;
  /** Products batched together (heads × sequences), 1 for a plain matmul. */
  batch: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  /** How many times a step computes it (once per layer for the layers' products). */
  count: number;
}

/** The sizes the products depend on. */
export type GptShape = Pick<GptBenchConfig, 'vocab' | 'contextLength' | 'nLayers' | 'nHeads' | 'dModel' | 'batchSize'>;

/** Operand shapes of a product: A is [batch?, m, k] (or [k, m] transposed), B [k, n] (or [n, k]). */
export function productOperands(p: StepProduct): { a: number[]; b: number[] } {
  const lead = p.batch > 1 ? [p.batch] : [];
  return {
    a: [...lead, ...(p.transposeA ? [p.k, p.m] : [p.m, p.k])],
    b: [...lead, ...(p.transposeB ? [p.n, p.k] : [p.k, p.n])],
  };
}

export const productFlops = (p: StepProduct): number => 2 * p.batch * p.m * p.k * p.n * p.count;

export function gptStepProducts(c: GptShape): StepProduct[] {
  const rows = c.batchSize * c.contextLength;
  const d = c.dModel;
  const t = c.contextLength;
  const dh = d / c.nHeads;
  const heads = c.batchSize * c.nHeads;
  const L = c.nLayers;
  const mm = (name: string, batch: number, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, count: number): StepProduct =>
    ({ name, batch, m, k, n, transposeA, transposeB, count });
  const dense = (name: string, i: number, o: number): StepProduct[] => [
    mm(`${name} forward`, 1, rows, i, o, false, false, L),
    mm(`${name} dX`, 1, rows, o, i, false, true, L),
    mm(`${name} dW`, 1, i, rows, o, true, false, L),
  ];
  return [
    ...dense('qkv', d, 3 * d),
    ...dense('attention out', d, d),
    ...dense('mlp in', d, 4 * d),
    ...dense('mlp out', 4 * d, d),
    mm('scores Q·Kᵀ', heads, t, dh, t, false, true, L),
    mm('weighted sum P·V', heads, t, t, dh, false, false, L),
    mm('dP = dO·Vᵀ', heads, t, dh, t, false, true, L),
    mm('dV = Pᵀ·dO', heads, t, t, dh, true, false, L),
    mm('dQ = dS·K', heads, t, t, dh, false, false, L),
    mm('dK = dSᵀ·Q', heads, t, t, dh, true, false, L),
    mm('head X·Eᵀ', 1, rows, d, c.vocab, false, true, 1),
    mm('head dX', 1, rows, c.vocab, d, false, false, 1),
    mm('head dE', 1, c.vocab, rows, d, true, false, 1),
  ];
}
