import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-word-vectors-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const SMALL = {
  'data.sources': 'npm:moby-dick', 'data.maxChars': '150000', 'vocab.minFreq': '3', 'model.dim': '16', 'train.batchSize': '256',
  'train.maxSteps': '60', 'train.evalEvery': '20', 'train.checkpointEvery': '60',
};

test.serial('a tiny run: the validation loss falls, vectors.txt sits next to the checkpoint, export-vectors and neighbours read it', async (t) => {
  const out = path.join(dir, 'run');
  const c = capture();
  const sets = Object.entries(SMALL).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  t.is(await main(['run', 'word-vectors', ...sets, '--backend', 'cpu', '--quiet', '--out', out], c.io), 0, c.err.join('\n'));
  const evals = readFileSync(path.join(out, 'vectors/metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'eval').map((r) => r.validation_loss as number);
  t.is(evals.length, 3);
  t.true(evals[2]! < evals[0]! && evals[0]! < 6 * Math.LN2, `validation losses ${evals}`);
  const vectors = readFileSync(path.join(out, 'vectors/vectors.txt'), 'utf8').trimEnd().split('\n');
  t.true(vectors.length > 100);
  t.true(vectors.every((l) => l.split(' ').length === 17));
  const result = JSON.parse(readFileSync(path.join(out, 'vectors/result.json'), 'utf8'));
  t.is(result.vectors_words, vectors.length);
  // The CLI export of the final checkpoint is the same file, byte for byte.
  const exported = path.join(dir, 'exported.txt');
  const e = capture();
  t.is(await main(['export-vectors', out, '--out', exported], e.io), 0, e.err.join('\n'));
  t.is(readFileSync(exported, 'utf8'), readFileSync(path.join(out, 'vectors/vectors.txt'), 'utf8'));
  const n = capture();
  t.is(await main(['neighbours', path.join(out, 'vectors/checkpoint'), '--word', 'whale', '--k', '3'], n.io), 0, n.err.join('\n'));
  t.is(n.out.join('\n').split('\n').length, 5);
  const unknown = capture();
  t.is(await main(['neighbours', out, '--word', 'xxmaj'], unknown.io), 2, 'special tokens are not words');
  t.is(await main(['export-vectors', out, '--out', path.join(dir, 'x.txt'), '--param', 'nope'], capture().io), 2);
});
