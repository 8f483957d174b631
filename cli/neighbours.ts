import { existsSync, statSync } from 'node:fs';
import { clip, ErrorCodes, GraftError } from '../core/index.ts';
import { readGloveVectors } from '../plugins/init/pretrained-embeddings/readGloveVectors.ts';
import { intFlag, type ParsedArgs } from './args.ts';
import { checkpointDirOf, checkpointVectors } from './exportVectors.ts';
import type { Io } from './main.ts';
import { nearestWords, neighboursTable } from './nearestWords.ts';

/** Words and their vectors, from a GloVe text file or a checkpoint (its `backbone.tokEmbed`). */
async function loadVectors(source: string): Promise<{ words: string[]; matrix: Float32Array; dim: number; skip: Set<number> }> {
  if (existsSync(source) && statSync(source).isFile()) {
    const v = await readGloveVectors(source);
    const words = [...v.vectors.keys()];
    const matrix = new Float32Array(words.length * v.dim);
    words.forEach((w, i) => matrix.set(v.vectors.get(w)!, i * v.dim));
    return { words, matrix, dim: v.dim, skip: new Set() };
  }
  const c = checkpointVectors(await checkpointDirOf('neighbours', source), 'backbone.tokEmbed');
  return { words: c.vocab, matrix: c.matrix, dim: c.dim, skip: c.specials };
}

/**
 * `graft neighbours <vectors.txt | checkpoint | run-dir> --word WORD [--k 10]`: the k nearest
 * words by cosine, as a table. A word the vectors do not have is a usage error (exit 2) naming
 * it; its lower-cased form is tried first, as `init:pretrained-embeddings` does.
 */
export async function neighboursCommand(args: ParsedArgs, io: Io): Promise<number> {
  const [source, extra] = args.positional;
  if (!source) throw new GraftError(ErrorCodes.USAGE, '"graft neighbours" needs a GloVe text file, a checkpoint folder or a run folder');
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  const word = args.flags.word;
  if (typeof word !== 'string' || word === '') throw new GraftError(ErrorCodes.USAGE, '"graft neighbours" needs --word WORD');
  const k = intFlag(args.flags, 'k', 10);
  if (k < 1) throw new GraftError(ErrorCodes.USAGE, '--k must be at least 1', { received: k });
  const v = await loadVectors(source);
  let query = v.words.indexOf(word);
  if (query < 0 || v.skip.has(query)) query = v.words.indexOf(word.toLowerCase());
  if (query < 0 || v.skip.has(query)) {
    throw new GraftError(ErrorCodes.USAGE, `unknown word "${clip(word)}": the vectors have no such word`, { file: source, hint: `${v.words.length - v.skip.size} words are known` });
  }
  io.out(neighboursTable(v.words[query]!, nearestWords(v.words, v.matrix, v.dim, query, k, v.skip)));
  return 0;
}
