/**
 * The held-out overlap check: a task's validation or test text copied into a pre-training corpus
 * is found (a planted copy), unrelated or merely similar text is not, and dataset:text-corpus stops
 * before training unless told to go on.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraftError } from '../../../core/index.ts';
import { TextCorpusDataset } from '../../../plugins/datasets/index.ts';
import { textOverlap } from '../../../plugins/datasets/shared/textOverlap.ts';

const LEAKED = 'The committee will meet again on Thursday to review the budget for the northern harbour project and its delays.';
const OTHER = 'Whales sang beneath the grey winter sea while the crew slept below the deck of the old ship tonight.';

test('textOverlap: a copied text is found, in another case and spacing; unrelated and short texts are not', (t) => {
  const corpus = [`Call me Ishmael. Some years ago...\n\n${LEAKED.toUpperCase().replace(/ /g, '  ')}\n\nAnd so on.`];
  const r = textOverlap(corpus, [LEAKED, OTHER, 'too short to check']);
  t.deepEqual(r.contained, [0]);
  t.is(r.checked, 2, 'texts under 8 words are not checked');
  // Half its 8-word sequences: a text quoted in part counts, a shared phrase does not.
  const half = LEAKED.split(' ').slice(0, 12).join(' ');
  t.deepEqual(textOverlap([half], [LEAKED]).contained, [], '12 of 19 words copied: 5 of its 12 8-grams, under half');
  t.deepEqual(textOverlap([LEAKED.split(' ').slice(0, 15).join(' ')], [LEAKED]).contained, [0], '15 words: 8 of 12, half or more');
  t.deepEqual(textOverlap([LEAKED.split(' ').slice(0, 9).join(' ')], [LEAKED]).contained, []);
  t.deepEqual(textOverlap(['the budget for the northern harbour'], [LEAKED]).contained, []);
  t.deepEqual(textOverlap([], [LEAKED]), { checked: 1, contained: [] });
});

test('dataset:text-corpus heldOutOf: a planted test text stops the run before training; overlap: warn goes on and records it', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-overlap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rows = (label: string, n: number) => Array.from({ length: n }, (_, i) => `"${label} example number ${i} with enough words to be checked here",${label}`);
  const train = path.join(dir, 'train.csv');
  const testFile = path.join(dir, 'test.csv');
  writeFileSync(train, ['text,label', ...rows('a', 10), ...rows('b', 10)].join('\n') + '\n');
  writeFileSync(testFile, ['text,label', `"${LEAKED}",a`, `"${OTHER}",b`].join('\n') + '\n');
  const corpus = path.join(dir, 'corpus.txt');
  writeFileSync(corpus, `Some general text about harbours.\n\n${LEAKED}\n\nMore general text.\n`.repeat(3));
  const task = { train, test: testFile, validationFraction: 0 };
  const e = t.throws(() => new TextCorpusDataset({ sources: [corpus], heldOutOf: task }).load(), { instanceOf: GraftError });
  t.regex(e!.message, /dataset:text-corpus.*option "heldOutOf".*1 of 2 validation and test texts of the task \(heldOutOf\) are in the corpus/);
  t.regex(e!.message, /The committee will meet again/);
  t.notThrows(() => new TextCorpusDataset({ sources: [corpus], heldOutOf: task, overlap: 'warn' }).load());
  const clean = path.join(dir, 'clean.txt');
  writeFileSync(clean, 'Nothing from the task here, only some general words about harbours and ships.\n');
  t.notThrows(() => new TextCorpusDataset({ sources: [clean], heldOutOf: task }).load());
  // A bad data set is named by the option that holds it.
  t.throws(() => new TextCorpusDataset({ sources: [clean], heldOutOf: { train: path.join(dir, 'nope.csv') } }).load(), { message: /option "heldOutOf", file .*nope\.csv: cannot read file/ });
});
