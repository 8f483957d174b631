import { clip, ErrorCodes, GraftError } from '../../../core/index.ts';
import { emailBody } from '../shared/emailBody.ts';
import { sortLabels } from '../shared/labelOrder.ts';
import { readLabelledFile, type LabelledFormat, type LabelledRecord } from '../shared/labelledRecords.ts';
import { checkNpmCorpus, loadSotuParty, loadSpamAssassin, spamAssassinLabel, SOTU_PARTY, SPAM_ASSASSIN_GROUPS } from '../shared/npmCorpora.ts';
import { inspectTextFile, type TextFileReport } from '../shared/textFiles.ts';
import { resolve } from 'node:path';
import { stratifiedSplit } from '../shared/stratifiedSplit.ts';
import { stratifiedSubsample } from '../shared/stratifiedSubsample.ts';

/** `npm:` sources this dataset knows. */
export const LABELLED_CORPORA = ['npm:spam-assassin', 'npm:sotu-party'] as const;

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
  /** Stratified subsample of the validation split (0 = all). */
  validationSize?: number;
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
      if (id === undefined) throw notAClass(r, classes, plugin);
      return id;
    });

  const mainLabels = toIds(main);
  const fractions = { validation: valFile ? 0 : o.validationFraction, test: testFile ? 0 : o.testFraction };
  const parts = main.some((r) => r.group !== undefined)
    ? groupedSplit(main, mainLabels, classes.length, fractions, o.splitSeed)
    : stratifiedSplit(mainLabels, classes.length, fractions, o.splitSeed);
  const pick = (idx: Int32Array): LabelledSplit => ({ records: Array.from(idx, (i) => main[i]!), labels: Int32Array.from(idx, (i) => mainLabels[i]!) });
  const fullTrain = pick(parts.train);
  if (fullTrain.records.length === 0) {
    throw new GraftError(ErrorCodes.DATA, 'the training split is empty', { plugin, option: 'validationFraction', hint: 'Lower validationFraction and testFraction' });
  }
  const train = subsampleSplit(fullTrain, classes.length, o.trainSize, o.subsampleSeed);
  return {
    classes,
    train,
    fullTrain,
    validation: subsampleSplit(valFile ? { records: valFile, labels: toIds(valFile) } : pick(parts.validation), classes.length, o.validationSize ?? 0, o.subsampleSeed),
    test: testFile ? { records: testFile, labels: toIds(testFile) } : pick(parts.test),
    dropped,
  };
}

/** A stratified, nested subsample of `size` examples of a split (0 or at least its size: the split as it is). */
export function subsampleSplit(split: LabelledSplit, numClasses: number, size: number, seed: number): LabelledSplit {
  if (size === 0 || size >= split.records.length) return split;
  const idx = stratifiedSubsample(split.labels, numClasses, size, seed);
  return { records: Array.from(idx, (i) => split.records[i]!), labels: Int32Array.from(idx, (i) => split.labels[i]!) };
}

/**
 * A stratified split of whole groups (a speech's passages stay together): the groups, each with
 * its first example's label, are split by the fractions as examples would be, then expanded to
 * their examples in data order. The fractions count groups, not examples.
 */
export function groupedSplit(
  recs: readonly Pick<LabelledRecord, 'group'>[],
  labels: Int32Array,
  numClasses: number,
  fractions: { validation: number; test: number },
  seed: number,
): { train: Int32Array; validation: Int32Array; test: Int32Array } {
  const groupOf = new Map<string, number>();
  const groupLabels: number[] = [];
  const member = Int32Array.from(recs, (r, i) => {
    const key = r.group ?? `#${i}`;
    let g = groupOf.get(key);
    if (g === undefined) {
      g = groupLabels.length;
      groupOf.set(key, g);
      groupLabels.push(labels[i]!);
    }
    return g;
  });
  const parts = stratifiedSplit(Int32Array.from(groupLabels), numClasses, fractions, seed);
  const expand = (groups: Int32Array): Int32Array => {
    const keep = new Set(groups);
    return Int32Array.from(member.reduce<number[]>((acc, g, i) => (keep.has(g) ? (acc.push(i), acc) : acc), []));
  };
  return { train: expand(parts.train), validation: expand(parts.validation), test: expand(parts.test) };
}

function notAClass(r: LabelledRecord, classes: readonly string[], plugin: string): GraftError {
  return new GraftError(ErrorCodes.DATA, `label ${JSON.stringify(clip(r.label))} is not one of the classes`, {
    plugin,
    option: 'labels',
    file: r.file,
    line: r.line,
    expected: classes.map((c) => JSON.stringify(c)).join(', '),
  });
}

/**
 * A classifier needs two classes or more: with one there is nothing to learn (and tfjs's one-hot
 * encoding fails mid-run with "depth must be >=2"). Throws a DATA error naming the data.
 */
export function checkTwoClasses(classes: readonly string[], o: Pick<LabelledLoadOptions, 'source' | 'train' | 'labels'>, plugin: string): void {
  if (classes.length >= 2) return;
  const src = o.source || o.train;
  throw new GraftError(ErrorCodes.DATA, `the labelled data has ${classes.length === 0 ? 'no class' : `one class only (${JSON.stringify(clip(classes[0]!))})`}`, {
    plugin,
    option: o.labels.length ? 'labels' : o.source ? 'source' : 'train',
    file: src.startsWith('npm:') ? undefined : resolve(src),
    expected: 'labels of at least two classes',
    hint: src.startsWith('npm:') ? 'Use more groups' : 'Check the label column (option labelField) and the file',
  });
}

/** What the pre-flight check of a labelled data set found (`preflightLabelled`). */
export interface LabelledPreflight {
  /** The classes in id order, as `loadLabelledData` will make them. */
  classes: string[];
  /** The files read, with bytes that are not UTF-8 counted. */
  files: TextFileReport[];
}

/**
 * The cheap check before a run: the files exist and are text and parse (rows complete, fields
 * present), and the labels give at least two classes (all of them among `labels` when it is set).
 * Reads labels only: no cleaning, splitting, subsampling or encoding; an `npm:` corpus is not
 * loaded at all (its classes follow from its groups). Throws DATA errors naming file and line.
 */
export function preflightLabelled(o: LabelledLoadOptions, plugin: string): LabelledPreflight {
  const files: TextFileReport[] = [];
  const found: string[] = [];
  const paths = (o.source ? [['source', o.source]] : [['train', o.train], ['validation', o.validation], ['test', o.test]]).filter(([, p]) => p !== '');
  for (const [option, path] of paths as [string, string][]) {
    if (path.startsWith('npm:')) {
      checkNpmCorpus(path, plugin);
      if (path === 'npm:sotu-party') found.push(...SOTU_PARTY.parties);
      else for (const g of o.groups.length ? o.groups : SPAM_ASSASSIN_GROUPS) found.push(spamAssassinLabel(g));
      continue;
    }
    files.push(inspectTextFile(resolve(path), plugin, option));
    const recs = readLabelledFile(path, { ...o, delimiter: o.delimiter || undefined, plugin });
    if (recs.length === 0) throw new GraftError(ErrorCodes.DATA, `source "${clip(path)}" has no examples`, { plugin, option, file: resolve(path) });
    if (o.labels.length) {
      const known = new Set(o.labels);
      const bad = recs.find((r) => !known.has(r.label));
      if (bad) throw notAClass(bad, o.labels, plugin);
    }
    for (const r of recs) found.push(r.label);
  }
  const classes = o.labels.length ? [...o.labels] : sortLabels(found);
  checkTwoClasses(classes, o, plugin);
  return { classes, files };
}

/** Keep the first example of each distinct text. */
export function dedupe(recs: readonly LabelledRecord[]): LabelledRecord[] {
  const seen = new Set<string>();
  return recs.filter((r) => (seen.has(r.text) ? false : (seen.add(r.text), true)));
}

function readNpm(source: string, o: LabelledLoadOptions, plugin: string, dropped: { empty: number }): LabelledRecord[] {
  if (source === 'npm:sotu-party') return loadSotuParty(plugin).map((p) => ({ text: p.text, label: p.label, file: `${source}/${p.id}`, group: p.group }));
  if (source !== 'npm:spam-assassin') {
    throw new GraftError(ErrorCodes.DATA, `unknown corpus "${clip(source)}"`, {
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
