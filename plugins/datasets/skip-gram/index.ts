export { SkipGramDataset, type SkipGramOptions } from './SkipGramDataset.ts';
export { SKIP_GRAM_OPTIONS } from './options.ts';
export { keepProbabilities, UnigramSampler } from './sampling.ts';
export { passBlocks, countPairs, pairChunks, toBlocks, type Blocks, type PassOptions, type PairChunk } from './pairStream.ts';
