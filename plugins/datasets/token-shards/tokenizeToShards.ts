import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { endianness } from 'node:os';
import { ErrorCodes, GraftError, type Tokenizer } from '../../../core/index.ts';
import { checkIds } from '../shared/encodeStream.ts';
import { NPM_CORPUS_PACKAGES } from '../shared/npmCorpora.ts';
import { textPathFiles } from '../shared/textFiles.ts';
import { checkSource, TEXT_CORPORA } from '../text-corpus/loadCorpus.ts';
import { bytesPerToken, checkShardFile, dtypeFor, readShardManifest, SHARD_MANIFEST, tokenizerHash, type ShardDtype, type ShardEntry, type ShardManifest, type SourceInput } from './shardManifest.ts';
import { textPieces } from './textPieces.ts';

const require = createRequire(import.meta.url);

/** Default tokens per shard: 16 MiB files at uint16. */
export const DEFAULT_SHARD_TOKENS = 1 << 23;

export interface TokenizeOptions {
  /** npm:moby-dick, npm:sotu, files, folders (every .txt under it, sorted): as dataset:text-corpus reads them. */
  sources: readonly string[];
  tokenizer: Tokenizer;
  /** The shard folder to write (replaced atomically; reused when its manifest matches). */
  out: string;
  shardTokens?: number;
  /** Name in errors (default `dataset:token-shards`). */
  plugin?: string;
  /** Called after each encoded piece: bytes of text read so far (UTF-16 code units for npm corpora) and tokens written. */
  onProgress?: (p: { chars: number; tokens: number }) => void;
}

export interface TokenizeResult {
  dir: string;
  manifest: ShardManifest;
  /** True when the folder's shards were made from the same inputs and were kept as they are. */
  reused: boolean;
}

/** One document source: a file read in pieces, or the documents of an npm corpus (small: held). */
type Doc = { file: string } | { id: string; text: string };

/**
 * Tokenize a corpus once into shard files of `shardTokens` token ids each (uint16 when the
 * vocabulary has at most 65536 ids, else uint32; little-endian) plus `shards.json` (counts,
 * SHA-256 per shard, the tokenizer's hash, the sources). Documents are separated by the
 * tokenizer's `eos` when it has one, as dataset:text-corpus joins them; files are read in 1 MiB
 * chunks and encoded piece by piece (`textPieces`), so memory holds one shard and one chunk.
 *
 * Everything is written to a temporary sibling folder that replaces `out` when complete (a crash
 * leaves the old folder or none). If `out` already holds shards made from the same inputs (the
 * files' paths, sizes and modification times, npm package versions, the tokenizer's hash, the
 * shard size), they are reused as they are; another tokenizer re-tokenizes. A non-empty `out`
 * that is not a shard folder is refused.
 */
export function tokenizeToShards(o: TokenizeOptions): TokenizeResult {
  const plugin = o.plugin ?? 'dataset:token-shards';
  const shardTokens = o.shardTokens ?? DEFAULT_SHARD_TOKENS;
  if (!Number.isInteger(shardTokens) || shardTokens < 1) {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid shard size', { plugin, option: 'shardTokens', expected: 'an integer >= 1', received: shardTokens });
  }
  if (endianness() !== 'LE') throw new GraftError(ErrorCodes.DATA, 'token shards are little-endian; this machine is big-endian', { plugin });
  if (o.sources.length === 0) throw new GraftError(ErrorCodes.BAD_OPTION, 'no source to tokenize', { plugin, option: 'sources', expected: 'npm:moby-dick, npm:sotu, a file or a folder' });
  const tok = o.tokenizer;
  const dir = path.resolve(o.out);
  const dtype = dtypeFor(tok.vocabSize);
  const separator = tok.specials.eos ?? null;
  const tokSha = tokenizerHash(tok);
  const { inputs, docs } = resolveSources(o.sources, plugin);
  const inputsKey = createHash('sha256').update(JSON.stringify({ inputs, tokenizer: tokSha, shardTokens, dtype, separator })).digest('hex');

  const reused = existing(dir, inputsKey, plugin);
  if (reused) return { dir, manifest: reused, reused: true };

  const tmp = `${dir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const writer = new ShardWriter(tmp, dtype, shardTokens);
    let chars = 0;
    let documents = 0;
    const emit = (text: string, first: { v: boolean }) => {
      if (text.length === 0) return;
      const ids = tok.encode(text);
      checkIds(ids, tok.vocabSize, plugin);
      // The separator goes before a document's first non-empty piece: empty documents leave no trace.
      if (first.v) {
        if (documents > 0 && separator !== null) writer.push(Int32Array.of(separator));
        documents++;
        first.v = false;
      }
      writer.push(ids);
      chars += text.length;
      o.onProgress?.({ chars, tokens: writer.total });
    };
    for (const d of docs) {
      const first = { v: true };
      if ('file' in d) for (const piece of textPieces(d.file, plugin)) emit(piece, first);
      else emit(d.text, first);
    }
    const shards = writer.finish();
    if (writer.total === 0) throw new GraftError(ErrorCodes.DATA, 'the corpus is empty', { plugin, option: 'sources', received: o.sources });
    const manifest: ShardManifest = {
      format: 'graft-token-shards',
      version: 1,
      created: new Date().toISOString(),
      dtype,
      shardTokens,
      totalTokens: writer.total,
      tokenizer: { type: tok.type, vocabSize: tok.vocabSize, sha256: tokSha },
      separator,
      source: { description: o.sources.join(' '), inputs, documents, bytes: inputs.reduce((n, i) => n + ('bytes' in i ? i.bytes : 0), 0) },
      inputsKey,
      shards,
    };
    writeSynced(path.join(tmp, SHARD_MANIFEST), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    swapIn(tmp, dir);
    return { dir, manifest, reused: false };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The documents the sources name, and what identifies each input for reuse. */
function resolveSources(sources: readonly string[], plugin: string): { inputs: SourceInput[]; docs: Doc[] } {
  const inputs: SourceInput[] = [];
  const docs: Doc[] = [];
  for (const s of sources) {
    if (s.startsWith('npm:')) {
      checkSource(s, plugin);
      const pkg = NPM_CORPUS_PACKAGES[s]!;
      let version = 'unknown';
      try {
        version = (require(`${pkg}/package.json`) as { version: string }).version;
      } catch {
        // Loading the corpus below reports a missing package with the fix.
      }
      inputs.push({ npm: pkg, version });
      docs.push(...TEXT_CORPORA[s.slice(4)]!(plugin, { sotu: {} }).map((d) => ({ id: d.id, text: d.text })));
      continue;
    }
    for (const file of textPathFiles(s, plugin)) {
      const st = statSync(file);
      inputs.push({ file, bytes: st.size, mtimeMs: st.mtimeMs });
      docs.push({ file });
    }
  }
  return { inputs, docs };
}

/** The manifest of shards in `dir` made from these inputs, still whole in size; undefined if there are none to reuse. */
function existing(dir: string, inputsKey: string, plugin: string): ShardManifest | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) throw new GraftError(ErrorCodes.USAGE, 'the output is a file', { plugin, file: dir, expected: 'a new folder, or a folder of token shards to replace' });
  if (!existsSync(path.join(dir, SHARD_MANIFEST))) {
    if (readdirSync(dir).length === 0) return undefined;
    throw new GraftError(ErrorCodes.USAGE, `the output folder holds something other than token shards (no ${SHARD_MANIFEST}); refusing to replace it`, { plugin, file: dir, hint: 'Name a new folder' });
  }
  let m: ShardManifest;
  try {
    m = readShardManifest(dir, plugin);
  } catch {
    return undefined; // A damaged manifest: tokenize again over it.
  }
  if (m.inputsKey !== inputsKey) return undefined;
  try {
    for (const s of m.shards) checkShardFile(dir, m, s, plugin);
  } catch {
    return undefined;
  }
  return m;
}

/** Replace `dir` by the complete folder `tmp`: the old one moves aside, the new one in, the old one is removed. */
function swapIn(tmp: string, dir: string): void {
  const old = `${dir}.old-${process.pid}-${Date.now().toString(36)}`;
  const had = existsSync(dir);
  if (had) renameSync(dir, old);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    if (had) renameSync(old, dir);
    throw e;
  }
  if (had) rmSync(old, { recursive: true, force: true });
}

function writeSynced(file: string, data: Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Fills one shard's worth of ids at a time and writes it (with its SHA-256) when full. */
class ShardWriter {
  readonly shards: ShardEntry[] = [];
  total = 0;
  private readonly buf: Uint16Array | Uint32Array;
  private fill = 0;

  constructor(
    private readonly dir: string,
    private readonly dtype: ShardDtype,
    private readonly shardTokens: number,
  ) {
    this.buf = dtype === 'uint16' ? new Uint16Array(shardTokens) : new Uint32Array(shardTokens);
  }

  push(ids: Int32Array): void {
    for (let o = 0; o < ids.length; ) {
      const n = Math.min(ids.length - o, this.shardTokens - this.fill);
      this.buf.set(ids.subarray(o, o + n), this.fill);
      this.fill += n;
      o += n;
      this.total += n;
      if (this.fill === this.shardTokens) this.flush();
    }
  }

  finish(): ShardEntry[] {
    if (this.fill > 0) this.flush();
    return this.shards;
  }

  private flush(): void {
    const file = `shard-${String(this.shards.length).padStart(5, '0')}.bin`;
    const bytes = new Uint8Array(this.buf.buffer, 0, this.fill * bytesPerToken(this.dtype));
    writeSynced(path.join(this.dir, file), bytes);
    this.shards.push({ file, tokens: this.fill, sha256: createHash('sha256').update(bytes).digest('hex') });
    this.fill = 0;
  }
}

