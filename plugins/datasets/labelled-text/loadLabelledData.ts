import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { emailBody } from '../shared/emailBody.ts';
import { sortLabels } from '../shared/labelOrder.ts';
import { readLabelledFile, type LabelledFormat, type LabelledRecord } from '../shared/labelledRecords.ts';
import { loadSpamAssassin, spamAssassinLabel, SPAM_ASSASSIN_GROUPS } from '../shared/npmCorpora.ts';
import { stratifiedSplit } from '../shared/stratifiedSplit.ts';
import { stratifiedSubsample } from '../shared/stratifiedSubsample.ts';

/** `npm:` sources this dataset knows. */
export const LABELLED_CORPORA = ['npm:spam-assassin'] as const;

export interface LabelledLoadOptions {
  source: string;
  train: string;
  validation: string;
  test: string;
  format: LabelledFormat | 'auto';
  delimiter: string;
  textField: string;
  labelField: string;
  labels: readonly string[];
  groups: readonly string[];
  stripHtml: boolean;
  dedupe: boolean;
  validationFraction: number;
  testFraction: number;
  splitSeed: number;
  trainSize: number;
  subsampleSeed: number;
}

/** The examples of one split with their class ids. */
export interface LabelledSplit {
  records: LabelledRecord[];
  labels: Int32Array;
}

export interface LabelledData {
  /** Class names; class id = index. */
  classes: string[];
  /** The training split after subsampling (what the model trains on). */
  train: LabelledSplit;
  /** The whole training split, before subsampling (for the tokenizer and LM fine-tuning). */
  fullTrain: LabelledSplit;
  validation: LabelledSplit;
  test: LabelledSplit;
  /** Examples dropped as duplicates, and mails dropped for an empty body. */
  dropped: { duplicates: number; empty: number };
}

/**
 * Read, clean, label, split and subsample a labelled text data set. No tokenizer and no run seed
 * are involved: the result depends only on the files and the options (splitSeed, subsampleSeed).
 *
 * Splits given as files are used as they are; a split with no file is carved out of the training
 * data (or `source`) by its fraction, stratified by label with `splitSeed`.
 */
export function loadLabelledData(o: LabelledLoadOptions, plugin: string): LabelledData {
  const dropped = { duplicates: 0, empty: 0 };
  const read = (path: string): LabelledRecord[] => {
    let recs = path.startsWith('npm:') ? readNpm(path, o, plugin, dropped) : readLabelledFile(path, { ...o, delimiter: o.delimiter || undefined, plugin });
    if (o.dedupe) {
      const before = recs.length;
      recs = dedupe(recs);
      dropped.duplicates += before - recs.length;
    }
    if (recs.length === 0) throw new GraftError(ErrorCodes.DATA, `source "${path}" has no examples`, { plugin, file: path });
    return recs;
  };
  const main = read(o.source || o.train);
  const valFile = o.source ? undefined : o.validation ? read(o.validation) : undefined;
  const testFile = o.source ? undefined : o.test ? read(o.test) : undefined;

  const all = [main, valFile ?? [], testFile ?? []].flat();
  const classes = o.labels.length ? [...o.labels] : sortLabels(all.map((r) => r.label));
  const ids = new Map(classes.map((c, i) => [c, i]));
  const toIds = (recs: LabelledRecord[]): Int32Array =>
    Int32Array.from(recs, (r) => {
      const id = ids.get(r.label);
      if (id === undefined) {
        throw new GraftError(ErrorCodes.DATA, `label ${JSON.stringify(r.label)} is not one of the classes`, {
          plugin,
          option: 'labels',
          file: r.file,
          line: r.line,
          expected: classes.map((c) => JSON.stringify(c)).join(', '),
        });
      }
      return id;
    });

  const mainLabels = toIds(main);
  const parts = stratifiedSplit(
    mainLabels,
    classes.length,
    { validation: valFile ? 0 : o.validationFraction, test: testFile ? 0 : o.testFraction },
    o.splitSeed,
  );
  const pick = (idx: Int32Array): LabelledSplit => ({ records: Array.from(idx, (i) => main[i]!), labels: Int32Array.from(idx, (i) => mainLabels[i]!) });
  const fullTrain = pick(parts.train);
  if (fullTrain.records.length === 0) {
    throw new GraftError(ErrorCodes.DATA, 'the training split is empty', { plugin, option: 'validationFraction', hint: 'Lower validationFraction and testFraction' });
  }
  const sub = stratifiedSubsample(fullTrain.labels, classes.length, o.trainSize, o.subsampleSeed);
  const train: LabelledSplit = { records: Array.from(sub, (i) => fullTrain.records[i]!), labels: Int32Array.from(sub, (i) => fullTrain.labels[i]!) };
  return {
    classes,
    train,
    fullTrain,
    validation: valFile ? { records: valFile, labels: toIds(valFile) } : pick(parts.validation),
    test: testFile ? { records: testFile, labels: toIds(testFile) } : pick(parts.test),
    dropped,
  };
}

/** Keep the first example of each distinct text. */
export function dedupe(recs: readonly LabelledRecord[]): LabelledRecord[] {
  const seen = new Set<string>();
  return recs.filter((r) => (seen.has(r.text) ? false : (seen.add(r.text), true)));
}

function readNpm(source: string, o: LabelledLoadOptions, plugin: string, dropped: { empty: number }): LabelledRecord[] {
  if (source !== 'npm:spam-assassin') {
    throw new GraftError(ErrorCodes.DATA, `unknown corpus "${source}"`, {
      plugin,
      option: 'source',
      expected: `one of ${LABELLED_CORPORA.join(', ')}, or a .csv/.tsv/.jsonl file`,
    });
  }
  const groups = new Set<string>(o.groups.length ? o.groups : SPAM_ASSASSIN_GROUPS);
  const out: LabelledRecord[] = [];
  for (const m of loadSpamAssassin(plugin)) {
    if (!groups.has(m.group)) continue;
    const text = emailBody(m.text, { stripHtml: o.stripHtml });
    if (text === '') {
      dropped.empty++;
      continue;
    }
    out.push({ text, label: spamAssassinLabel(m.group), file: `${source}/${m.group}/${m.id}` });
  }
  return out;
}
