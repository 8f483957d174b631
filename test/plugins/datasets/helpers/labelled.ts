import { resolveOptions, type InputOptions } from '../../../../core/index.ts';
import { LABELLED_TEXT_OPTIONS, LabelledTextDataset, loadLabelledData } from '../../../../plugins/datasets/index.ts';

export { LABELLED_TEXT_OPTIONS, LabelledTextDataset, loadLabelledData };

/** Options for `loadLabelledData` with the plugin's defaults filled in. */
export function resolveLabelled(o: InputOptions<typeof LABELLED_TEXT_OPTIONS>) {
  return resolveOptions('dataset:labelled-text', LABELLED_TEXT_OPTIONS, o);
}
