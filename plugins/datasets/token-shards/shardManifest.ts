import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, type Tokenizer } from '../../../core/index.ts';

/** The manifest of a shard folder, written last (atomically) by `tokenizeToShards`. */
export const SHARD_MANIFEST = 'shards.json';

export type ShardDtype = 'uint16' | 'uint32';

export interface ShardEntry {
  /** File name inside the folder. */
  file: string;
  tokens: number;
  /** SHA-256 of the file, lowercase hex. */
  sha256: string;
}

/** `shards.json`: what the shards hold and what made them. */
export interface ShardManifest {
  format: 'graft-token-shards';
  version: 1;
  created: string;
  /** Little-endian token ids: uint16 when the vocabulary has at most 65536 ids, else uint32. */
  dtype: ShardDtype;
  /** Tokens per shard (the last one may hold fewer). */
  shardTokens: number;
  totalTokens: number;
  tokenizer: { type: string; vocabSize: number; sha256: string };
  /** The id written between documents (the tokenizer's eos), or null: documents concatenated. */
  separator: number | null;
  source: {
    /** The sources as given. */
    description: string;
    /** Files read (path, bytes, mtime) and npm corpora (package@version): what decides reuse. */
    inputs: SourceInput[];
    documents: number;
    bytes: number;
  };
  /** SHA-256 of everything that determines the shards' content: a re-run with the same key reuses them. */
  inputsKey: string;
  shards: ShardEntry[];
}

export type SourceInput = { file: string; bytes: number; mtimeMs: number } | { npm: string; version: string };

export function dtypeFor(vocabSize: number): ShardDtype {
  return vocabSize <= 65536 ? 'uint16' : 'uint32';
}

export function bytesPerToken(dtype: ShardDtype): 2 | 4 {
  return dtype === 'uint16' ? 2 : 4;
}

/** SHA-256 of the tokenizer's JSON: the identity of a vocabulary and its merges. */
export function tokenizerHash(tokenizer: Tokenizer): string {
  return createHash('sha256').update(JSON.stringify(tokenizer.toJSON())).digest('hex');
}

/** SHA-256 of a file read in 4 MiB positioned reads (memory does not grow with the file). */
export function hashFile(file: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(file, 'r');
  try {
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * Read and check `shards.json` of `dir`: its format, and that every shard has the size its token
 * count implies. Errors are DATA errors naming the file (and the shard).
 */
export function readShardManifest(dir: string, plugin: string): ShardManifest {
  const file = path.join(dir, SHARD_MANIFEST);
  if (!existsSync(file)) {
    throw new GraftError(ErrorCodes.DATA, `no ${SHARD_MANIFEST} here: not a folder of token shards`, {
      plugin,
      option: 'dir',
      file: dir,
      hint: 'Write one with `graft tokenize <source> --tokenizer <tokenizer.json|checkpoint> --out DIR`',
    });
  }
  let m: ShardManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.DATA, `cannot read JSON: ${(e as Error).message}`, { plugin, file, cause: e });
  }
  const ok =
    typeof m === 'object' && m !== null && m.format === 'graft-token-shards' && m.version === 1 && (m.dtype === 'uint16' || m.dtype === 'uint32') &&
    Array.isArray(m.shards) && m.shards.every((s) => typeof s?.file === 'string' && Number.isInteger(s.tokens) && s.tokens >= 0 && /^[0-9a-f]{64}$/.test(s.sha256 ?? '')) &&
    typeof m.tokenizer?.sha256 === 'string' && Number.isInteger(m.tokenizer.vocabSize);
  if (!ok) {
    throw new GraftError(ErrorCodes.DATA, 'malformed token-shard manifest', { plugin, file, expected: 'format "graft-token-shards", version 1, with dtype, tokenizer and shards [{file, tokens, sha256}]' });
  }
  return m;
}

/** Path of shard `s` of `dir`, checked to exist with the size its token count implies. */
export function checkShardFile(dir: string, m: ShardManifest, s: ShardEntry, plugin: string): string {
  const file = path.join(dir, s.file);
  const want = s.tokens * bytesPerToken(m.dtype);
  let size: number;
  try {
    size = statSync(file).size;
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, `shard ${s.file} is missing`, { plugin, file, cause, hint: 'Run `graft tokenize` again with the same sources: it rewrites the shards' });
  }
  if (size !== want) {
    throw new GraftError(ErrorCodes.DATA, `shard ${s.file} has ${size} bytes, the manifest records ${s.tokens} tokens (${want} bytes): truncated or replaced`, {
      plugin,
      file,
      hint: 'Run `graft tokenize` again with the same sources: it rewrites the shards',
    });
  }
  return file;
}

/** Check a shard's SHA-256 against the manifest: a DATA error naming the shard when it differs. */
export function verifyShard(dir: string, m: ShardManifest, s: ShardEntry, plugin: string): void {
  const file = checkShardFile(dir, m, s, plugin);
  const got = hashFile(file);
  if (got !== s.sha256) {
    throw new GraftError(ErrorCodes.DATA, `shard ${s.file} is corrupt: SHA-256 ${got} does not match the manifest's ${s.sha256}`, {
      plugin,
      file,
      hint: 'The file changed after it was written (disk, copy, edit): run `graft tokenize` again to rewrite the shards',
    });
  }
}
