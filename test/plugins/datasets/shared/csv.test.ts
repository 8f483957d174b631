import test from 'ava';
import { ErrorCodes, GraftError } from '../../../../core/index.ts';
import { parseCsv } from '../../../../plugins/datasets/shared/csv.ts';

const rows = (text: string, delimiter?: string) => parseCsv(text, { delimiter }).map((r) => r.fields);

test('plain records, with and without a final line end', (t) => {
  t.deepEqual(rows('a,b\n1,2\n'), [['a', 'b'], ['1', '2']]);
  t.deepEqual(rows('a,b\n1,2'), [['a', 'b'], ['1', '2']]);
});

test('quoted fields hold delimiters, line ends and doubled quotes', (t) => {
  const text = 'text,label\n"hello, world",1\n"two\nlines",0\n"say ""hi""",1\n';
  t.deepEqual(rows(text), [
    ['text', 'label'],
    ['hello, world', '1'],
    ['two\nlines', '0'],
    ['say "hi"', '1'],
  ]);
});

test('CRLF and lone CR end records; CRLF inside quotes is kept', (t) => {
  t.deepEqual(rows('a,b\r\n1,2\r\n'), [['a', 'b'], ['1', '2']]);
  t.deepEqual(rows('a,b\r1,2\r'), [['a', 'b'], ['1', '2']]);
  t.deepEqual(rows('a\r\n"x\r\ny"\r\n'), [['a'], ['x\r\ny']]);
});

test('empty fields, trailing delimiter, empty quoted field, blank lines skipped, BOM dropped', (t) => {
  t.deepEqual(rows('\ufeffa,b,c\n,,\n1,,3,\n\n""\n'), [['a', 'b', 'c'], ['', '', ''], ['1', '', '3', ''], ['']]);
  t.deepEqual(rows(''), []);
  t.deepEqual(rows('\n\n'), []);
});

test('a quote inside an unquoted field is literal; fields are not trimmed', (t) => {
  t.deepEqual(rows('5" screen, x \n'), [['5" screen', ' x ']]);
});

test('other delimiters (tab, semicolon)', (t) => {
  t.deepEqual(rows('a\tb\n"x\ty"\tz\n', '\t'), [['a', 'b'], ['x\ty', 'z']]);
  t.deepEqual(rows('a;b\n1,5;2\n', ';'), [['a', 'b'], ['1,5', '2']]);
});

test('records know the line they start on, counting line ends inside quotes', (t) => {
  const recs = parseCsv('h\n"a\nb\r\nc"\n\nlast\n');
  t.deepEqual(
    recs.map((r) => r.line),
    [1, 2, 6],
  );
});

test('an unterminated quote is an error naming file and the line it opens on', (t) => {
  const e = t.throws(() => parseCsv('a,b\n1,2\n"open,3\nmore\n', { file: 'x.csv' }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.is(e.details.file, 'x.csv');
  t.is(e.details.line, 3);
  t.regex(e.message, /x\.csv:3/);
});

test('text after a closing quote is an error naming the line', (t) => {
  const e = t.throws(() => parseCsv('a,b\n"x"y,2\n', { file: 'y.csv' }), { instanceOf: GraftError });
  t.is(e.details.line, 2);
  t.regex(e.message, /after a closing quote/);
});

test('a bad delimiter is a BAD_OPTION naming the option', (t) => {
  const e = t.throws(() => parseCsv('a', { delimiter: '"' }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_OPTION);
  t.is(e.details.option, 'delimiter');
});
