import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, GraftError } from '../../../../core/index.ts';
import { loadTextPath } from '../../../../plugins/datasets/shared/textFiles.ts';

test('a folder gives its .txt files recursively, sorted; BOM dropped, line ends normalised', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graft-text-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'b.txt'), 'B\r\nb');
  writeFileSync(join(dir, 'a.txt'), '\ufeffA\rb');
  writeFileSync(join(dir, 'sub', 'c.txt'), 'C');
  writeFileSync(join(dir, 'skip.md'), 'no');
  const docs = loadTextPath(dir, 'p');
  t.deepEqual(docs.map((d) => d.text), ['A\nb', 'B\nb', 'C']);
  t.deepEqual(loadTextPath(join(dir, 'b.txt'), 'p').map((d) => d.text), ['B\nb']);
});

test('a missing path and a folder without .txt files are DATA errors naming them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graft-text-'));
  const e = t.throws(() => loadTextPath(join(dir, 'missing.txt'), 'dataset:x'), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.regex(e.message, /dataset:x.*missing\.txt/);
  const e2 = t.throws(() => loadTextPath(dir, 'dataset:x'), { instanceOf: GraftError });
  t.regex(e2.message, /no \.txt files/);
});
