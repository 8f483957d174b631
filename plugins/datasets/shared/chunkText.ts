/**
 * Cut `text` into contiguous pieces of about `chunkChars` characters whose concatenation is the
 * text exactly. Each cut is moved forward to just after the next whitespace (within a quarter of
 * a chunk), so pieces rarely split a word.
 */
export function chunkText(text: string, chunkChars: number): string[] {
  if (!(chunkChars >= 1)) throw new RangeError(`chunkChars must be >= 1, got ${chunkChars}`);
  const out: string[] = [];
  const slack = Math.floor(chunkChars / 4);
  let start = 0;
  while (start < text.length) {
    let end = start + chunkChars;
    if (end >= text.length) {
      end = text.length;
    } else {
      const limit = Math.min(text.length, end + slack);
      let i = end;
      while (i < limit && !isSpace(text.charCodeAt(i))) i++;
      if (i < limit) end = i + 1;
    }
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11;
}
