/**
 * A long text as passages of whole sentences, each of at least `minWords` words (the last one
 * joins its predecessor when shorter): for corpora that store a speech or a book as one string,
 * so a classifier sees paragraph-sized examples. Sentences end at . ! or ? followed by space and a
 * capital or a quote; an abbreviation ("Mr. Speaker") only moves a boundary inside a passage.
 */
export function passages(text: string, minWords: number): string[] {
  const sentences = text.trim().split(/(?<=[.!?]["'”’)]?)\s+(?=["'“‘(]?[A-Z])/);
  const out: string[] = [];
  let cur: string[] = [];
  let words = 0;
  for (const s of sentences) {
    if (s === '') continue;
    cur.push(s);
    words += s.split(/\s+/).length;
    if (words >= minWords) {
      out.push(cur.join(' '));
      cur = [];
      words = 0;
    }
  }
  if (cur.length) {
    if (out.length) out[out.length - 1] += ` ${cur.join(' ')}`;
    else out.push(cur.join(' '));
  }
  return out;
}
