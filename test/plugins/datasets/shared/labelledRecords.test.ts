import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, GraftError } from '../../../../core/index.ts';
import { parseCsv } from '../../../../plugins/datasets/shared/csv.ts';
import { parseJsonl } from '../../../../plugins/datasets/shared/jsonl.ts';
import { csvToLabelled, formatOf, jsonlToLabelled, readLabelledFile } from '../../../../plugins/datasets/shared/labelledRecords.ts';

const names = { textField: 'review', labelField: 'stars', file: 'r.csv' };

test('CSV columns are found by header name, in any order; CRLF in texts becomes LF', (t) => {
  const recs = csvToLabelled(parseCsv('stars,id,review\r\n5,1,"great\r\nfilm"\r\n1,2,bad\r\n'), names);
  t.deepEqual(recs, [
    { text: 'great\nfilm', label: '5', file: 'r.csv', line: 2 },
    { text: 'bad', label: '1', file: 'r.csv', line: 4 },
  ]);
});

test('a missing column names the file, the option and the columns there are', (t) => {
  const e = t.throws(() => csvToLabelled(parseCsv('text,label\nx,1\n'), names), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.is(e.details.file, 'r.csv');
  t.regex(e.message, /no column "review" \(option textField\)/);
  t.regex(e.message, /"text", "label"/);
});

test('a row with the wrong number of fields names its line', (t) => {
  const e = t.throws(() => csvToLabelled(parseCsv('review,stars\nok,1\nnot, quoted,2\n'), names), { instanceOf: GraftError });
  t.is(e.details.line, 3);
  t.regex(e.message, /3 fields but the header has 2/);
});

test('empty text and empty labels name their line', (t) => {
  const e1 = t.throws(() => csvToLabelled(parseCsv('review,stars\nok,1\n"  ",2\n'), names), { instanceOf: GraftError });
  t.is(e1.details.line, 3);
  t.regex(e1.message, /empty text/);
  const e2 = t.throws(() => csvToLabelled(parseCsv('review,stars\nok,\n'), names), { instanceOf: GraftError });
  t.regex(e2.message, /empty label/);
});

test('JSONL: labels may be numbers or booleans; missing or wrong fields name the line', (t) => {
  const o = { textField: 'text', labelField: 'label', file: 'd.jsonl' };
  t.deepEqual(
    jsonlToLabelled(parseJsonl('{"text":"a","label":1}\n{"text":"b","label":true}\n'), o).map((r) => [r.text, r.label, r.line]),
    [
      ['a', '1', 1],
      ['b', 'true', 2],
    ],
  );
  const e = t.throws(() => jsonlToLabelled(parseJsonl('{"text":"a","label":1}\n{"txt":"b","label":0}\n'), o), { instanceOf: GraftError });
  t.is(e.details.line, 2);
  t.regex(e.message, /no field "text" \(option textField\)/);
  t.throws(() => jsonlToLabelled(parseJsonl('[1,2]\n'), o), { message: /not a JSON object/ });
  t.throws(() => jsonlToLabelled(parseJsonl('{"text":3,"label":1}\n'), o), { message: /not a string/ });
  t.throws(() => jsonlToLabelled(parseJsonl('{"text":"x","label":null}\n'), o), { message: /not a string, number or boolean/ });
});

test('files are read by extension; an unknown extension names the option format', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graft-labelled-'));
  writeFileSync(join(dir, 'a.tsv'), 'text\tlabel\nhello, there\tpos\n');
  writeFileSync(join(dir, 'a.jsonl'), '{"text":"hi","label":"neg"}\n');
  const o = { textField: 'text', labelField: 'label', format: 'auto' as const };
  t.deepEqual(readLabelledFile(join(dir, 'a.tsv'), o).map((r) => [r.text, r.label]), [['hello, there', 'pos']]);
  t.deepEqual(readLabelledFile(join(dir, 'a.jsonl'), o).map((r) => [r.text, r.label]), [['hi', 'neg']]);
  const e = t.throws(() => formatOf('data.txt', 'auto'), { instanceOf: GraftError });
  t.is(e.details.option, 'format');
  const missing = t.throws(() => readLabelledFile(join(dir, 'nope.csv'), o), { instanceOf: GraftError });
  t.is(missing.code, ErrorCodes.DATA);
  t.regex(missing.message, /nope\.csv/);
});
