export { TokenShardsDataset, splitShards, type TokenShardsOptions } from './TokenShardsDataset.ts';
export { TOKEN_SHARDS_OPTIONS } from './options.ts';
export { tokenizeToShards, DEFAULT_SHARD_TOKENS, type TokenizeOptions, type TokenizeResult } from './tokenizeToShards.ts';
export {
  readShardManifest,
  verifyShard,
  tokenizerHash,
  hashFile,
  dtypeFor,
  SHARD_MANIFEST,
  type ShardManifest,
  type ShardEntry,
  type ShardDtype,
} from './shardManifest.ts';
export { ShardWindows, shardWindowCount } from './ShardWindows.ts';
export { WindowPermutation, epochWindowPermutation } from './windowPermutation.ts';
export { textPieces, lastSafeCut } from './textPieces.ts';
