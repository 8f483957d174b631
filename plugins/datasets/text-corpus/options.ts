import type { OptionSchema } from '../../../core/index.ts';

export const TEXT_CORPUS_OPTIONS = {
  sources: {
    type: 'string[]',
    default: [] as string[],
    doc: 'Where the text comes from: npm:moby-dick, npm:sotu, a file, or a folder (every .txt under it, sorted). Concatenated in this order; documents given in code (the constructor\'s second argument) come after.',
  },
  trainTextsOf: {
    type: 'any',
    default: '',
    doc: "A labelled data set whose training-split texts come after `sources` (target-domain LM fine-tuning that never sees the classifier's validation or test texts): its source (npm:spam-assassin, a .csv/.jsonl file; default fractions and split seed), or dataset:labelled-text's options ({ source, test, splitSeed, ... }; in a recipe: optionsOf('classifier', 'dataset'), the classifier's own); '' none.",
  },
  heldOutOf: {
    type: 'any',
    default: '',
    doc: "A labelled data set whose validation and test texts must not be in this corpus (a source, or dataset:labelled-text's options; in a recipe optionsOf('classifier', 'dataset')): checked when the text loads, before any training; '' no check.",
  },
  overlap: {
    type: 'enum',
    values: ['error', 'warn'],
    default: 'error',
    doc: "What a held-out text found in the corpus (half or more of its 8-word sequences) does: 'error' stops the run before training (GRAFT_ERR_DATA, naming one), 'warn' logs it; both record heldout_overlap in the stage result.",
  },
  sotuYears: { type: 'number[]', default: [] as number[], doc: 'npm:sotu only: inclusive year range [from, to] ([] = all years).' },
  sotuParties: { type: 'string[]', default: [] as string[], doc: 'npm:sotu only: keep speeches by these parties (e.g. Democratic, Republican; [] = all).' },
  maxChars: { type: 'integer', default: 0, min: 0, doc: 'Keep only the first N characters of the corpus (0 = all), for tests and quick runs.' },
  validationFraction: { type: 'number', default: 0.1, min: 0, max: 0.9, doc: 'Fraction of the corpus held out for validation (independent of the seed).' },
  splitBy: { type: 'enum', values: ['chunk', 'document'], default: 'chunk', doc: 'Hold out evenly spaced chunks of text, or whole documents.' },
  chunkChars: { type: 'integer', default: 4096, min: 16, doc: 'Size of the chunks of splitBy=chunk, in characters.' },
  seqLen: { type: 'integer', default: 128, min: 1, doc: 'Context length T of a window.' },
  batchSize: { type: 'integer', default: 16, min: 1, doc: 'Windows per batch B.' },
  stride: { type: 'integer', default: 0, min: 0, doc: 'Distance between training window starts (0 = seqLen: non-overlapping windows).' },
  epochOffset: {
    type: 'boolean',
    default: false,
    doc: 'Shift the grid of training window starts by a seeded offset in [0, stride) each epoch, so windows see other boundaries.',
  },
  maxValidationBatches: { type: 'integer', default: 0, min: 0, doc: 'Evaluate on at most this many validation batches, evenly spread (0 = all).' },
} as const satisfies OptionSchema;
