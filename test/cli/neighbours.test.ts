import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { nearestWords } from '../../cli/nearestWords.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-neighbours-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

// By hand: whale (1, 0); ship (2, 0.2) cos = 2/√4.04 = 0.99504; sea (1, 1) cos = 1/√2 = 0.70711;
// war (0, 1) cos 0; congress (-1, 0.1) cos = -1/√1.01 = -0.99504; zero (0, 0) cos 0 by convention.
const FILE = path.join(dir, 'tiny.txt');
writeFileSync(FILE, ['whale 1 0', 'ship 2 0.2', 'sea 1 1', 'war 0 1', 'congress -1 0.1', 'zero 0 0'].join('\n') + '\n');

test('nearestWords ranks by cosine, by hand', (t) => {
  const words = ['whale', 'ship', 'sea', 'war', 'congress', 'zero'];
  const m = [1, 0, 2, 0.2, 1, 1, 0, 1, -1, 0.1, 0, 0];
  const n = nearestWords(words, m, 2, 0, 10);
  t.deepEqual(n.map((x) => x.word), ['ship', 'sea', 'war', 'zero', 'congress'], 'ties at 0: lower row first');
  t.true(Math.abs(n[0]!.cosine - 2 / Math.sqrt(4.04)) < 1e-12);
  t.true(Math.abs(n[1]!.cosine - Math.SQRT1_2) < 1e-12);
  t.true(Math.abs(n[4]!.cosine + 1 / Math.sqrt(1.01)) < 1e-12);
  t.deepEqual(nearestWords(words, m, 2, 0, 2, new Set([1])).map((x) => x.word), ['sea', 'war'], 'skipped rows never show');
});

test('graft neighbours prints the table for a GloVe file; --k limits it', async (t) => {
  const c = capture();
  t.is(await main(['neighbours', FILE, '--word', 'whale', '--k', '2'], c.io), 0, c.err.join('\n'));
  const lines = c.out.join('\n').split('\n');
  t.is(lines[0], 'neighbours of "whale" (cosine)');
  t.regex(lines[2]!, /^\s+1\s+ship\s+0\.9950$/);
  t.regex(lines[3]!, /^\s+2\s+sea\s+0\.7071$/);
  t.is(lines.length, 4);
  const upper = capture();
  t.is(await main(['neighbours', FILE, '--word', 'Whale'], upper.io), 0, 'the lower-cased word is tried');
});

test('an unknown word exits 2 naming it; missing --word and a bad --k are usage errors', async (t) => {
  const c = capture();
  t.is(await main(['neighbours', FILE, '--word', 'kraken'], c.io), 2);
  t.regex(c.err.join('\n'), /unknown word "kraken"/);
  t.is(await main(['neighbours', FILE], capture().io), 2);
  t.is(await main(['neighbours', FILE, '--word', 'whale', '--k', '0'], capture().io), 2);
  t.is(await main(['neighbours', path.join(dir, 'nope'), '--word', 'whale'], capture().io), 2);
});

test('export-vectors needs --out and a checkpoint', async (t) => {
  const c = capture();
  t.is(await main(['export-vectors', dir], c.io), 2);
  t.regex(c.err.join('\n'), /--out FILE/);
  t.is(await main(['export-vectors', path.join(dir, 'nope'), '--out', path.join(dir, 'v.txt')], capture().io), 2);
  t.throws(() => readFileSync(path.join(dir, 'v.txt')), undefined, 'nothing written');
});
