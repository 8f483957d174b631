/**
 * GPT-2's pre-tokenization pattern: English contractions, a letter run, a number run or a
 * punctuation run (each with at most one leading space), and whitespace. Merges never cross
 * these pieces, so " the" is learned once and reused wherever it occurs.
 */
export const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/** Compile a stored pattern the way the tokenizer uses it (global, Unicode-aware). */
export function compilePattern(source: string): RegExp {
  return new RegExp(source, 'gu');
}

/**
 * Call `fn` on each piece of `text`, in order, such that the pieces concatenate to `text`:
 * text the pattern does not match becomes a piece of its own, so no character is ever dropped
 * whatever pattern a JSON file brings.
 */
export function forEachPiece(text: string, re: RegExp, fn: (piece: string) => void): void {
  re.lastIndex = 0;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      // An empty match would loop forever; step over one code point.
      re.lastIndex += (text.codePointAt(re.lastIndex) ?? 0) > 0xffff ? 2 : 1;
      continue;
    }
    if (m.index > last) fn(text.slice(last, m.index));
    fn(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) fn(text.slice(last));
}

/** Frequency of each pre-token over all texts: BPE trains on these counts, not on the raw text. */
export function countPieces(texts: Iterable<string>, re: RegExp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) forEachPiece(text, re, (p) => counts.set(p, (counts.get(p) ?? 0) + 1));
  return counts;
}
