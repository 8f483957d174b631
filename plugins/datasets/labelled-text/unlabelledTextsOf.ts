import { LabelledTextDataset, type LabelledTextOptions } from './LabelledTextDataset.ts';
import { loadLabelledData } from './loadLabelledData.ts';

/**
 * The unlabelled texts of a labelled data set's training split, without a trainer: for a
 * language-model fine-tuning run on the target domain (ULMFiT stage 2) that must use exactly the
 * training split the classifier will use (same source, fractions and splitSeed), never its
 * validation or test texts. Pass it lazily to the text corpus:
 * `new TextCorpusDataset(opts, { texts: () => unlabelledTextsOf({ source: 'npm:spam-assassin' }) })`.
 */
export function unlabelledTextsOf(options: LabelledTextOptions): string[] {
  // The data set's own option checks first (source or train, known corpus, fractions), so a bad
  // option is named as such rather than as a file that cannot be read.
  const d = new LabelledTextDataset(options);
  return loadLabelledData(d.options, d.meta.name).fullTrain.records.map((r) => r.text);
}
