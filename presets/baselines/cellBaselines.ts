import { resolveOptions } from '../../core/index.ts';
import { LabelledTextDataset } from '../../plugins/datasets/labelled-text/LabelledTextDataset.ts';
import { loadLabelledData, subsampleSplit, type LabelledData, type LabelledLoadOptions } from '../../plugins/datasets/labelled-text/loadLabelledData.ts';
import type { Use } from '../recipe/use.ts';
import { bagOfWordsBaseline, majorityBaseline, type BaselineScores } from './bagOfWordsBaseline.ts';

export interface CellBaselines {
  bagOfWords: BaselineScores;
  majority: BaselineScores;
}

/**
 * The baselines of an experiment whose classifier reads `dataset:labelled-text`: the data is read
 * once (the whole training split), and each (size, seed) takes the same stratified subsample the
 * dataset plugin takes with `trainSize`/`subsampleSeed`, so a baseline learns from exactly the
 * examples the classifiers learn from and is scored on the same test split. `undefined` for
 * another dataset plugin (the experiment then reports no baselines and says so).
 */
export function cellBaselines(dataset: Use | undefined): { maxLen: number; at(size: number, seed: number): CellBaselines } | undefined {
  if (!dataset || dataset.plugin !== LabelledTextDataset) return undefined;
  const name = LabelledTextDataset.meta.name;
  const o = resolveOptions(name, LabelledTextDataset.options, { ...dataset.options, trainSize: 0 }) as unknown as LabelledLoadOptions & { maxLen: number };
  let data: LabelledData | undefined;
  return {
    maxLen: o.maxLen,
    at(size, seed) {
      data ??= loadLabelledData(o, name);
      const d = data;
      const train = subsampleSplit(d.fullTrain, d.classes.length, size, seed);
      const { vocabulary: _v, ...bagOfWords } = bagOfWordsBaseline(d, train, { maxLen: o.maxLen });
      return { bagOfWords, majority: majorityBaseline(d, train) };
    },
  };
}
