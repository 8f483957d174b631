import { ErrorCodes, GraftError, Rng } from '../../../core/index.ts';
import type { TokenArray } from '../shared/tokenArray.ts';

/** A token stream cut into blocks: windows never cross a block boundary (word2vec's sentences). */
export interface Blocks {
  tokens: TokenArray;
  /** Block b is tokens[starts[b], starts[b + 1]); starts has nBlocks + 1 entries. */
  starts: Int32Array;
}

/**
 * Cut segments (documents, or runs of one split inside a document) into blocks of at most
 * `blockTokens` tokens, so a window never reaches from one document into the next; word2vec
 * reads text in "sentences" of at most 1000 words the same way.
 */
export function toBlocks(segments: readonly TokenArray[], blockTokens: number, alloc: (n: number) => TokenArray): Blocks {
  let n = 0;
  const starts: number[] = [];
  for (const s of segments) n += s.length;
  const tokens = alloc(n);
  let o = 0;
  for (const s of segments) {
    for (let i = 0; i < s.length; i += blockTokens) starts.push(o + i);
    tokens.set(s, o);
    o += s.length;
  }
  starts.push(n);
  return { tokens, starts: Int32Array.from(starts) };
}

export interface PassOptions {
  /** Largest window; each centre draws its own in 1..window (word2vec's dynamic window). */
  window: number;
  /** Keep probability per id (`keepProbabilities`). */
  keep: Float64Array;
  /** Visit the blocks in a seeded order (training) or in corpus order (validation). */
  shuffleBlocks: boolean;
}

/**
 * One pass over the blocks: every token is kept with its keep probability (subsampling, drawn
 * anew each pass), then each kept centre draws its window b in 1..window and pairs with the kept
 * tokens up to b positions either side within its block. Calls `emit(centre, context)` in order
 * and yields after each block, so a caller can hand out what it collected without holding the
 * pass's pairs; all draws come from `rng`, so a pass is a function of its seed alone.
 */
export function* passBlocks(blocks: Blocks, o: PassOptions, rng: Rng, emit: (centre: number, context: number) => void): Generator<void> {
  const nBlocks = blocks.starts.length - 1;
  const order = o.shuffleBlocks ? rng.fork('blocks').permutation(nBlocks) : undefined;
  const draws = rng.fork('draws');
  const kept = new Int32Array(maxBlock(blocks));
  for (let k = 0; k < nBlocks; k++) {
    const b = order ? order[k]! : k;
    const from = blocks.starts[b]!;
    const to = blocks.starts[b + 1]!;
    let n = 0;
    for (let i = from; i < to; i++) {
      const id = blocks.tokens[i]!;
      if (draws.next() < o.keep[id]!) kept[n++] = id;
    }
    for (let i = 0; i < n; i++) {
      const w = 1 + draws.int(o.window);
      const lo = Math.max(0, i - w);
      const hi = Math.min(n - 1, i + w);
      for (let j = lo; j <= hi; j++) if (j !== i) emit(kept[i]!, kept[j]!);
    }
    yield;
  }
}

/** Pairs one pass yields with this seed (it runs the pass, storing nothing). */
export function countPairs(blocks: Blocks, o: PassOptions, rng: Rng): number {
  let n = 0;
  for (const _ of passBlocks(blocks, o, rng, () => void n++));
  return n;
}

function maxBlock(blocks: Blocks): number {
  let m = 0;
  for (let b = 0; b + 1 < blocks.starts.length; b++) m = Math.max(m, blocks.starts[b + 1]! - blocks.starts[b]!);
  return m;
}

export interface PairChunk {
  centres: Int32Array;
  contexts: Int32Array;
}

/**
 * The pairs of an epoch, `count` in all, as chunks of `chunk` pairs (the last one may be
 * shorter). Passes seeded (`seed`, `label`, pass p) follow one another until `count` pairs are
 * out, so every epoch has the same length whatever its subsampling draws gave. With
 * `shuffleBuffer` S > 0 the pairs go through a buffer of S pairs, each output a seeded random
 * pick from it (tf.data's shuffle buffer), so a batch mixes pairs from many places instead of
 * about B/(2·window) consecutive centres. Memory: the token stream and 8·S bytes; the pairs are
 * never all held. Throws if a whole pass yields no pair (nothing to train on).
 */
export function* pairChunks(
  blocks: Blocks,
  o: PassOptions & { shuffleBuffer: number },
  seed: number,
  label: string,
  count: number,
  chunk: number,
): Generator<PairChunk> {
  const root = new Rng(seed).fork(label);
  const S = o.shuffleBuffer;
  const bufC = new Int32Array(S);
  const bufX = new Int32Array(S);
  const pick = root.fork('shuffle');
  let filled = 0;
  let produced = 0;
  let n = 0;
  let cur: PairChunk = { centres: new Int32Array(Math.min(chunk, count)), contexts: new Int32Array(Math.min(chunk, count)) };
  const ready: PairChunk[] = [];
  const put = (c: number, x: number): void => {
    if (produced >= count) return;
    cur.centres[n] = c;
    cur.contexts[n] = x;
    n++;
    produced++;
    if (n === cur.centres.length) {
      ready.push(cur);
      const next = Math.min(chunk, count - produced);
      cur = { centres: new Int32Array(next), contexts: new Int32Array(next) };
      n = 0;
    }
  };
  const emit =
    S === 0
      ? put
      : (c: number, x: number): void => {
          if (filled < S) {
            bufC[filled] = c;
            bufX[filled] = x;
            filled++;
            return;
          }
          const i = pick.int(S);
          put(bufC[i]!, bufX[i]!);
          bufC[i] = c;
          bufX[i] = x;
        };
  for (let p = 0; produced < count; p++) {
    let seen = 0;
    const counted = (c: number, x: number): void => {
      seen++;
      emit(c, x);
    };
    for (const _ of passBlocks(blocks, o, root.fork(`pass:${p}`), counted)) {
      while (ready.length) yield ready.shift()!;
      if (produced >= count) return;
    }
    if (seen === 0) {
      throw new GraftError(ErrorCodes.DATA, 'a whole pass over the text yielded no (centre, context) pair', {
        hint: 'The text has fewer than two kept tokens in every block: add text, or lower sample',
      });
    }
  }
}
