import { existsSync, readFileSync, statSync } from 'node:fs';
import { ErrorCodes, GraftError, readCheckpointManifest, type Tokenizer } from '../core/index.ts';
import { DEFAULT_SHARD_TOKENS, tokenizeToShards } from '../plugins/datasets/token-shards/index.ts';
import { loadTokenizer } from '../plugins/tokenizers/loadTokenizer.ts';
import { intFlag, type ParsedArgs } from './args.ts';
import type { Io } from './main.ts';

/**
 * The tokenizer `from` names: a tokenizer JSON file (`toJSON()` output) or a checkpoint folder
 * (the state of its tokenizer plugin). USAGE errors name the path.
 */
export function tokenizerFrom(from: string): Tokenizer {
  if (!existsSync(from)) throw new GraftError(ErrorCodes.USAGE, 'no tokenizer file or checkpoint folder at this path', { file: from });
  if (statSync(from).isDirectory()) {
    const { dir, manifest } = readCheckpointManifest(from);
    const state = Object.values(manifest.plugins ?? {}).find((p) => p.kind === 'tokenizer' && p.state !== undefined)?.state;
    if (state === undefined) throw new GraftError(ErrorCodes.USAGE, 'the checkpoint holds no tokenizer', { file: dir, hint: 'Point --tokenizer at a checkpoint of a recipe with a tokenizer plugin, or at a tokenizer JSON file' });
    return loadTokenizer(state);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(from, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.USAGE, `cannot read the tokenizer JSON: ${(e as Error).message}`, { file: from });
  }
  return loadTokenizer(json);
}

/**
 * `graft tokenize <source>... --tokenizer <checkpoint|tokenizer.json> --out DIR [--shard-tokens N]`:
 * tokenize a corpus once into token shards for dataset:token-shards (`tokenizeToShards`); a re-run
 * with the same inputs reuses them. Prints the folder; a summary goes to stderr.
 */
export async function tokenizeCommand(args: ParsedArgs, io: Io): Promise<number> {
  const sources = args.positional;
  if (sources.length === 0) throw new GraftError(ErrorCodes.USAGE, '"graft tokenize" needs a source: npm:moby-dick, npm:sotu, a file or a folder of .txt files');
  const from = args.flags.tokenizer;
  if (typeof from !== 'string' || from === '') throw new GraftError(ErrorCodes.USAGE, '"graft tokenize" needs --tokenizer, a checkpoint folder or a tokenizer JSON file');
  const out = args.flags.out;
  if (typeof out !== 'string' || out === '') throw new GraftError(ErrorCodes.USAGE, '"graft tokenize" needs --out DIR, the folder to write the shards to');
  const shardTokens = intFlag(args.flags, 'shard-tokens', DEFAULT_SHARD_TOKENS);
  if (shardTokens < 1) throw new GraftError(ErrorCodes.USAGE, '--shard-tokens must be at least 1', { received: shardTokens });
  const tokenizer = tokenizerFrom(from);
  const t0 = performance.now();
  let last = t0;
  const r = tokenizeToShards({
    sources,
    tokenizer,
    out,
    shardTokens,
    plugin: 'graft tokenize',
    onProgress: ({ chars, tokens }) => {
      const now = performance.now();
      if (now - last < 10_000) return;
      last = now;
      io.err(`graft: ${(chars / 1e6).toFixed(0)}M characters, ${(tokens / 1e6).toFixed(1)}M tokens (${Math.round(tokens / ((now - t0) / 1000))} tokens/s)`);
    },
  });
  const s = (performance.now() - t0) / 1000;
  const m = r.manifest;
  io.err(
    r.reused
      ? `graft: reused ${m.shards.length} shards (${m.totalTokens} tokens): same sources, tokenizer and shard size`
      : `graft: ${m.totalTokens} tokens from ${m.source.documents} documents in ${m.shards.length} shards of ${m.dtype} (${s.toFixed(1)} s, ${Math.round(m.totalTokens / s)} tokens/s)`,
  );
  io.out(r.dir);
  return 0;
}


