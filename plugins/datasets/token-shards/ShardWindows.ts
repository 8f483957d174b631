import { closeSync, openSync, readSync } from 'node:fs';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { bytesPerToken, checkShardFile, type ShardManifest } from './shardManifest.ts';

/** Shard files kept open at once; the least recently read is closed past this. */
export const MAX_OPEN_SHARDS = 32;

/** Non-overlapping windows of T+1 tokens inside one shard (a window never crosses into the next file). */
export function shardWindowCount(tokens: number, seqLen: number): number {
  return tokens > seqLen ? Math.floor((tokens - 1) / seqLen) : 0;
}

/**
 * The windows of some shards of a folder, numbered 0.. in shard order: window k of shard s starts
 * at token k*T and reads T+1 tokens (inputs and the targets shifted by one). Each window is one
 * positioned read (`fs.readSync(fd, buf, 0, n, pos)`): nothing is loaded whole, and memory is one
 * window plus a prefix sum per shard, whatever the size of the corpus.
 */
export class ShardWindows {
  readonly count: number;
  /** starts[i]: first window id of the i-th shard of `shards`; starts[length] = count. */
  private readonly starts: Float64Array;
  private readonly files: string[];
  private readonly bpt: 2 | 4;
  private readonly raw: Uint8Array;
  private readonly view: Uint16Array | Uint32Array;
  private readonly fds = new Map<number, number>();

  constructor(
    dir: string,
    manifest: ShardManifest,
    readonly shards: readonly number[],
    readonly seqLen: number,
    private readonly plugin: string,
  ) {
    this.bpt = bytesPerToken(manifest.dtype);
    this.starts = new Float64Array(shards.length + 1);
    this.files = shards.map((i, j) => {
      const s = manifest.shards[i]!;
      this.starts[j + 1] = this.starts[j]! + shardWindowCount(s.tokens, seqLen);
      return checkShardFile(dir, manifest, s, plugin);
    });
    this.count = this.starts[shards.length]!;
    this.raw = new Uint8Array((seqLen + 1) * this.bpt);
    this.view = this.bpt === 2 ? new Uint16Array(this.raw.buffer) : new Uint32Array(this.raw.buffer);
  }

  /** Which of `shards` (index into it) and which window inside it window `w` is: binary search on the prefix sums. */
  locate(w: number): { shard: number; window: number } {
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= w) lo = mid;
      else hi = mid - 1;
    }
    return { shard: lo, window: w - this.starts[lo]! };
  }

  /** Write window `w` into row `row` of `inputs` / `targets` ([rows, T] row-major). */
  fill(w: number, row: number, inputs: Int32Array, targets: Int32Array): void {
    const T = this.seqLen;
    const { shard, window } = this.locate(w);
    const fd = this.fd(shard);
    const want = this.raw.length;
    const got = readSync(fd, this.raw, 0, want, window * T * this.bpt);
    if (got !== want) {
      throw new GraftError(ErrorCodes.DATA, `shard ${this.files[shard]} ended early: ${got} of ${want} bytes at window ${window}`, {
        plugin: this.plugin,
        file: this.files[shard],
        hint: 'The file was truncated after it was checked: run `graft tokenize` again',
      });
    }
    const v = this.view;
    const o = row * T;
    for (let t = 0; t < T; t++) {
      inputs[o + t] = v[t]!;
      targets[o + t] = v[t + 1]!;
    }
  }

  private fd(shard: number): number {
    let fd = this.fds.get(shard);
    if (fd !== undefined) {
      // Most recently used last: a Map keeps insertion order.
      this.fds.delete(shard);
      this.fds.set(shard, fd);
      return fd;
    }
    if (this.fds.size >= MAX_OPEN_SHARDS) {
      const [oldest, ofd] = this.fds.entries().next().value as [number, number];
      closeSync(ofd);
      this.fds.delete(oldest);
    }
    try {
      fd = openSync(this.files[shard]!, 'r');
    } catch (cause) {
      throw new GraftError(ErrorCodes.DATA, `cannot open shard ${this.files[shard]}`, { plugin: this.plugin, file: this.files[shard], cause });
    }
    this.fds.set(shard, fd);
    return fd;
  }

  /** Close every open shard file. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
