import type { TokenArray } from './tokenArray.ts';

/**
 * Number of next-token windows of length `seqLen` on a grid `offset + k * stride` over a stream of
 * `numTokens` tokens, for every offset in [0, maxOffset]. A window starting at i reads tokens
 * i .. i+seqLen (seqLen + 1 of them: inputs and the targets shifted by one).
 */
export function windowCount(numTokens: number, seqLen: number, stride: number, maxOffset = 0): number {
  const last = numTokens - seqLen - 1 - maxOffset;
  return last < 0 ? 0 : Math.floor(last / stride) + 1;
}

/**
 * Fill row r of `inputs`/`targets` ([rows, seqLen], row-major) with the window starting at
 * `starts[r]`: inputs = tokens[s .. s+T), targets = tokens[s+1 .. s+T+1).
 */
export function fillWindows(tokens: TokenArray, starts: ArrayLike<number>, seqLen: number, inputs: Int32Array, targets: Int32Array): void {
  for (let r = 0; r < starts.length; r++) {
    const s = starts[r]!;
    const o = r * seqLen;
    inputs.set(tokens.subarray(s, s + seqLen), o);
    targets.set(tokens.subarray(s + 1, s + 1 + seqLen), o);
  }
}
