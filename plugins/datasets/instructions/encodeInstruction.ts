import type { ChatTokens } from '../../tokenizers/index.ts';

/** Why a conversation cannot be made to fit (`fitToLength`). */
export interface FitError {
  tooLong: true;
  /** Tokens it needs at least: the first token, and from the token before the first response token to the end. */
  needed: number;
}

export const isFitError = (x: ChatTokens | FitError): x is FitError => 'tooLong' in x;

/**
 * Cut a templated conversation to at most `maxTokens` tokens, keeping every response token.
 * The rule: the prompt is truncated from the left, keeping its first token (the opening role
 * token, so the template's shape stays) and dropping the tokens after it; the token just before
 * the first response token (the `<assistant>` role token, whose target is the reply's first token)
 * and everything after it are kept. If that alone exceeds `maxTokens`, nothing fits: `{ tooLong }`.
 * Pure; returns the input unchanged when it fits.
 */
export function fitToLength(tokens: ChatTokens, maxTokens: number): ChatTokens | FitError {
  const L = tokens.ids.length;
  if (L <= maxTokens) return tokens;
  const first = tokens.response.indexOf(1);
  // Tokens [protectFrom, L) stay; a prompt alone (a generation prompt) protects nothing but its first token.
  const protectFrom = first < 0 ? L : Math.max(1, first - 1);
  const drop = L - maxTokens;
  if (maxTokens < 1 || 1 + drop > protectFrom) return { tooLong: true, needed: L - protectFrom + 1 };
  // Drop the `drop` tokens right after the first one.
  const ids = new Int32Array(maxTokens);
  const response = new Uint8Array(maxTokens);
  ids[0] = tokens.ids[0]!;
  response[0] = tokens.response[0]!;
  ids.set(tokens.ids.subarray(1 + drop), 1);
  response.set(tokens.response.subarray(1 + drop), 1);
  return { ids, response };
}

/**
 * One row of a next-token batch from a templated conversation of L <= T + 1 tokens, written at
 * row `r` of [B, T] arrays: inputs = ids[0, L-1), targets = ids[1, L), mask = 1 where the target is
 * a response token (the reply and its end-of-turn), 0 on prompt targets; positions from L-1 on are
 * padding (`padId`, mask 0).
 */
export function fillRow(tokens: ChatTokens, T: number, r: number, padId: number, out: { inputs: Int32Array; targets: Int32Array; mask: Float32Array }): void {
  const n = tokens.ids.length - 1;
  const base = r * T;
  out.inputs.fill(padId, base, base + T);
  out.targets.fill(padId, base, base + T);
  out.mask.fill(0, base, base + T);
  for (let t = 0; t < n && t < T; t++) {
    out.inputs[base + t] = tokens.ids[t]!;
    out.targets[base + t] = tokens.ids[t + 1]!;
    out.mask[base + t] = tokens.response[t + 1]!;
  }
}
