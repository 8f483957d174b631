import { resolveOptions } from '../../../core/index.ts';
import type { LabelledTextOptions } from './LabelledTextDataset.ts';
import { loadLabelledData } from './loadLabelledData.ts';
import { LABELLED_TEXT_OPTIONS } from './options.ts';

/**
 * The unlabelled texts of a labelled data set's training split, without a trainer: for a
 * language-model fine-tuning run on the target domain (ULMFiT stage 2) that must use exactly the
 * training split the classifier will use (same source, fractions and splitSeed), never its
 * validation or test texts. Pass it lazily to the text corpus:
 * `new TextCorpusDataset(opts, { texts: () => unlabelledTextsOf({ source: 'npm:spam-assassin' }) })`.
 */
export function unlabelledTextsOf(options: LabelledTextOptions): string[] {
  const o = resolveOptions('dataset:labelled-text', LABELLED_TEXT_OPTIONS, options);
  return loadLabelledData(o, 'dataset:labelled-text').fullTrain.records.map((r) => r.text);
}
