/**
 * A word is a run of letters, combining marks and digits, with inner apostrophes kept
 * ("don't", "whale's"); every other non-space character is a token of its own. Whitespace only
 * separates tokens and is not kept: decode re-creates spacing by rule (`joinWords`).
 */
const TOKEN_RE = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

export function splitWords(text: string): string[] {
  return text.match(TOKEN_RE) ?? [];
}

/** No space before these (closing punctuation). */
const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '%', '…', '»', '’', '”']);
/** No space after these (opening punctuation). */
const NO_SPACE_AFTER = new Set(['(', '[', '{', '«', '“', '‘', '$', '#', '@']);

/** Join tokens with single spaces, except before closing and after opening punctuation. */
export function joinWords(tokens: readonly string[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (i > 0 && !NO_SPACE_BEFORE.has(t) && !NO_SPACE_AFTER.has(tokens[i - 1]!)) out += ' ';
    out += t;
  }
  return out;
}

export type WordCase = 'lower' | 'capitalised' | 'upper' | 'mixed';

/**
 * How a word is cased, fastai's way: all caps (more than one character) → 'upper' (xxup);
 * first character upper and the rest lower → 'capitalised' (xxmaj); anything else with an
 * upper-case letter ("McDonald", "iPhone") → 'mixed', which lower-casing loses.
 */
export function caseOf(word: string): WordCase {
  const lower = word.toLowerCase();
  if (lower === word) return 'lower';
  const first = String.fromCodePoint(word.codePointAt(0)!);
  const rest = word.slice(first.length);
  if (rest.length > 0 && word === word.toUpperCase()) return 'upper';
  if (first !== first.toLowerCase() && rest === rest.toLowerCase()) return 'capitalised';
  return 'mixed';
}

/** Restore a lower-cased word's case from its marker. */
export function applyCase(word: string, c: WordCase): string {
  if (c === 'upper') return word.toUpperCase();
  if (c === 'capitalised') {
    const first = String.fromCodePoint(word.codePointAt(0)!);
    return first.toUpperCase() + word.slice(first.length);
  }
  return word;
}
