import test from 'ava';
import { ErrorCodes, GraftError } from '../../../../core/index.ts';
import { parseJsonl } from '../../../../plugins/datasets/shared/jsonl.ts';

test('one value a line, blank lines skipped, CRLF accepted, line numbers kept', (t) => {
  const rows = parseJsonl('{"a":1}\r\n\n  \n{"a":"x\\ny"}\n');
  t.deepEqual(rows, [
    { value: { a: 1 }, line: 1 },
    { value: { a: 'x\ny' }, line: 4 },
  ]);
});

test('invalid JSON names file and line', (t) => {
  const e = t.throws(() => parseJsonl('{"a":1}\n{"a":\n', { file: 'd.jsonl' }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.is(e.details.line, 2);
  t.regex(e.message, /d\.jsonl:2/);
});
