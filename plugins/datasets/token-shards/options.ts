import type { OptionSchema } from '../../../core/index.ts';

export const TOKEN_SHARDS_OPTIONS = {
  dir: { type: 'string', doc: 'Folder of token shards written by `graft tokenize` (its shards.json).' },
  seqLen: { type: 'integer', default: 128, min: 1, doc: 'Context length T of a window (a window reads T + 1 tokens).' },
  batchSize: { type: 'integer', default: 16, min: 1, doc: 'Windows per batch B.' },
  validationShards: { type: 'integer', default: 1, min: 0, doc: 'Shards held out for validation, evenly spaced over the shard list (0: no validation split).' },
  testShards: { type: 'integer', default: 0, min: 0, doc: 'Shards held out for the test split, evenly spaced over the shards left after validation.' },
  maxValidationBatches: { type: 'integer', default: 0, min: 0, doc: 'Evaluate on at most this many validation (and test) batches, evenly spread (0 = all).' },
  verify: { type: 'boolean', default: true, doc: "Check every shard's SHA-256 against the manifest at setup (read in 4 MiB pieces); false checks sizes only." },
} as const satisfies OptionSchema;
