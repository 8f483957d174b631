import { chunkText } from './chunkText.ts';
import { evenlySpacedIndices, heldOutCount } from './evenlySpaced.ts';

export type CorpusSplitBy = 'chunk' | 'document';

export interface CorpusSplit {
  /** Training segments: maximal runs of training text inside one document, in corpus order. */
  train: string[];
  /** Validation segments, likewise. */
  validation: string[];
}

/**
 * Split a corpus into training and validation text without any randomness, so every seed is
 * compared on the same validation set.
 *
 * - `document`: whole documents are held out, evenly spaced over the corpus (document order).
 * - `chunk`: every document is cut into pieces of about `chunkChars` characters; pieces evenly
 *   spaced over the whole corpus are held out. Adjacent pieces of the same split and document are
 *   joined back, so a training segment is contiguous text and windows do not cross a gap.
 *
 * The number held out is `round(n * fraction)` pieces (at least one when fraction > 0 and there
 * are two pieces or more).
 */
export function splitCorpus(docs: readonly string[], by: CorpusSplitBy, fraction: number, chunkChars: number): CorpusSplit {
  const pieces: { doc: number; text: string }[] = [];
  docs.forEach((text, doc) => {
    if (by === 'document') pieces.push({ doc, text });
    else for (const c of chunkText(text, chunkChars)) pieces.push({ doc, text: c });
  });
  const held = new Set(evenlySpacedIndices(pieces.length, heldOutCount(pieces.length, fraction)));
  const out: CorpusSplit = { train: [], validation: [] };
  let prev: { doc: number; val: boolean } | undefined;
  pieces.forEach((p, i) => {
    const val = held.has(i);
    const list = val ? out.validation : out.train;
    if (prev && prev.doc === p.doc && prev.val === val) list[list.length - 1] += p.text;
    else list.push(p.text);
    prev = { doc: p.doc, val };
  });
  return out;
}
