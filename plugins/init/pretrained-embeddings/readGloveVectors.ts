import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { parseVectorLine } from './parseVectorLine.ts';

/** Word vectors kept from a source, all of dimension `dim`. */
export interface WordVectors {
  dim: number;
  vectors: Map<string, Float32Array>;
  /** Vectors in the source, kept or not. */
  total: number;
}

export interface ReadVectorsOptions {
  /** Keep a word's vector? Only the vocabulary's words are kept, so a 300 MB file costs memory for those alone. */
  keep?: (word: string) => boolean;
  /** Called once the dimension is known (first line), so a mismatch fails before the rest is read. */
  onDim?: (dim: number) => void;
  /** Plugin named in errors. */
  plugin?: string;
}

/**
 * Stream a GloVe-format text file line by line (readline), keeping the vectors `keep` accepts.
 * The first line fixes the dimension; a line that does not fit is an error naming the file and
 * line. A word listed twice keeps its first vector.
 */
export async function readGloveVectors(file: string, opts: ReadVectorsOptions = {}): Promise<WordVectors> {
  const keep = opts.keep ?? (() => true);
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const vectors = new Map<string, Float32Array>();
  let dim: number | undefined;
  let lineNo = 0;
  let total = 0;
  const setDim = (d: number) => {
    dim = d;
    opts.onDim?.(d);
  };
  try {
    for await (const line of lines) {
      lineNo++;
      const parsed = parseVectorLine(line, dim, lineNo === 1);
      if (parsed.kind === 'blank') continue;
      if (parsed.kind === 'header') {
        setDim(parsed.dim);
        continue;
      }
      if (parsed.kind === 'error') {
        throw new GraftError(ErrorCodes.DATA, `malformed word-vector line: ${parsed.reason}`, {
          plugin: opts.plugin,
          file,
          line: lineNo,
          expected: dim === undefined ? 'a word followed by its values, separated by spaces' : `a word followed by ${dim} numbers, separated by spaces`,
        });
      }
      if (dim === undefined) setDim(parsed.values.length);
      total++;
      if (!vectors.has(parsed.word) && keep(parsed.word)) vectors.set(parsed.word, parsed.values);
    }
  } catch (e) {
    if (e instanceof GraftError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new GraftError(ErrorCodes.DATA, `cannot read word vectors: ${(e as Error).message}`, {
      plugin: opts.plugin,
      file,
      hint: code === 'ENOENT' ? 'Check the path in option "source"' : undefined,
      cause: e,
    });
  } finally {
    lines.close();
    stream.destroy();
  }
  if (dim === undefined || total === 0) {
    throw new GraftError(ErrorCodes.DATA, 'the word-vector file holds no vectors', { plugin: opts.plugin, file });
  }
  return { dim, vectors, total };
}
