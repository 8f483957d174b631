import { h32 } from './lowbias32.ts';

/** The reference's synthetic corpus: sizes of `make_data` / `batch_at` in gpt_torch.py. */
export interface MarkovSpec {
  /** Symbols (V). */
  vocab: number;
  /** Successors per symbol (the best possible loss is ln(successors)). */
  successors: number;
  /** Length of the token stream (N_DATA). */
  length: number;
}

export const REFERENCE_MARKOV: MarkovSpec = { vocab: 96, successors: 4, length: 1 << 16 };

/**
 * `make_data()`: an order-1 Markov chain; symbol a's successors are h32(h32(777) + a*4 + j) mod V
 * and step n picks successor h32(h32(778) + n) mod 4. (The reference hard-codes 4 in both places.)
 */
export function markovTokens(spec: MarkovSpec = REFERENCE_MARKOV): Int32Array {
  const { vocab: V, successors: S, length: N } = spec;
  const seed = h32(777);
  const succ = new Int32Array(V * S);
  for (let a = 0; a < V; a++) for (let j = 0; j < S; j++) succ[a * S + j] = h32(seed + a * S + j) % V;
  const base = h32(778);
  const toks = new Int32Array(N);
  let t = 0;
  for (let n = 0; n < N; n++) {
    toks[n] = t;
    t = succ[t * S + (h32(base + n) % S)]!;
  }
  return toks;
}

/** `batch_at(toks, step)`'s window starts: h32(h32(step + 1000003) + b) mod (N - T - 1). */
export function batchOffsets(step: number, batch: number, context: number, length: number): number[] {
  const base = h32(step + 1000003);
  const offs: number[] = [];
  for (let b = 0; b < batch; b++) offs.push(h32(base + b) % (length - context - 1));
  return offs;
}

/** Inputs and next-token targets [batch * context] (row-major [B, T]) of batch number `step`. */
export function markovBatch(toks: Int32Array, step: number, batch: number, context: number): { inputs: Int32Array; targets: Int32Array } {
  const inputs = new Int32Array(batch * context);
  const targets = new Int32Array(batch * context);
  batchOffsets(step, batch, context, toks.length).forEach((o, b) => {
    inputs.set(toks.subarray(o, o + context), b * context);
    targets.set(toks.subarray(o + 1, o + context + 1), b * context);
  });
  return { inputs, targets };
}
