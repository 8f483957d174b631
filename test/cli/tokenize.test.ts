/**
 * `graft tokenize`: token shards from files, folders and npm corpora with a tokenizer JSON file or
 * a checkpoint's tokenizer; a second run reuses them; bad usage exits 2, unreadable data 1.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { ErrorCodes } from '../../core/index.ts';
import { readShardManifest } from '../../plugins/datasets/index.ts';
import { encodeStream } from '../../plugins/datasets/shared/encodeStream.ts';
import { loadMobyDick } from '../../plugins/datasets/shared/npmCorpora.ts';
import { ByteBpeTokenizer } from '../../plugins/tokenizers/index.ts';

const root = mkdtempSync(path.join(tmpdir(), 'graft-tokenize-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

const text = Array.from({ length: 300 }, (_, i) => `line ${i} of the corpus, with words and numbers ${i * 13}.`).join('\n');
const corpus = path.join(root, 'corpus.txt');
writeFileSync(corpus, text);
const tok = ByteBpeTokenizer.fit([text], { vocabSize: 300, specials: ['pad', 'eos'] });
const tokFile = path.join(root, 'tok.json');
writeFileSync(tokFile, JSON.stringify(tok.toJSON()));
// A checkpoint folder as far as the tokenizer goes: its manifest holds the tokenizer plugin's state.
const ckpt = path.join(root, 'ckpt');
mkdirSync(ckpt);
writeFileSync(path.join(ckpt, 'manifest.json'), JSON.stringify({ format: 'graft-checkpoint', version: 1, plugins: { 'tokenizer:byte-bpe': { kind: 'tokenizer', state: tok.toJSON() } }, params: {} }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

test('a file with a tokenizer JSON: shards written, then reused by a second run', async (t) => {
  const out = path.join(root, 'shards');
  const a = io();
  t.is(await main(['tokenize', corpus, '--tokenizer', tokFile, '--out', out, '--shard-tokens', '500'], a.io), 0, a.err.join('\n'));
  t.deepEqual(a.out, [out]);
  const m = readShardManifest(out, 't');
  t.is(m.totalTokens, tok.encode(text).length);
  t.is(m.shards.length, Math.ceil(m.totalTokens / 500));
  t.regex(a.err.join('\n'), new RegExp(`${m.totalTokens} tokens from 1 documents in ${m.shards.length} shards of uint16`));
  const b = io();
  t.is(await main(['tokenize', corpus, '--tokenizer', tokFile, '--out', out, '--shard-tokens', '500'], b.io), 0);
  t.regex(b.err.join('\n'), /reused/);
});

test("npm:moby-dick with a checkpoint's tokenizer: the book's chapters joined by eos", async (t) => {
  const out = path.join(root, 'moby');
  const r = io();
  t.is(await main(['tokenize', 'npm:moby-dick', '--tokenizer', ckpt, '--out', out], r.io), 0, r.err.join('\n'));
  const m = readShardManifest(out, 't');
  const want = encodeStream(loadMobyDick('t').map((d) => d.text), tok, tok.specials.eos, 't');
  t.is(m.totalTokens, want.length);
  const got = new Uint16Array(new Uint8Array(readFileSync(path.join(out, m.shards[0]!.file))).buffer);
  t.deepEqual(Array.from(got.subarray(0, 2000)), Array.from(want.subarray(0, 2000)));
  t.is(m.source.inputs.length, 1);
  t.true('npm' in m.source.inputs[0]!);
});

test('bad usage exits 2; a missing source is a data error (exit 1)', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['tokenize', corpus, '--out', path.join(root, 'x')], 2, /needs --tokenizer/],
    [['tokenize', '--tokenizer', tokFile, '--out', path.join(root, 'x')], 2, /needs a source/],
    [['tokenize', corpus, '--tokenizer', tokFile], 2, /needs --out/],
    [['tokenize', corpus, '--tokenizer', tokFile, '--out', path.join(root, 'x'), '--shard-tokens', '0'], 2, /at least 1/],
    [['tokenize', corpus, '--tokenizer', path.join(root, 'nope.json'), '--out', path.join(root, 'x')], 2, /no tokenizer file/],
    [['tokenize', path.join(root, 'missing.txt'), '--tokenizer', tokFile, '--out', path.join(root, 'x')], 1, new RegExp(`does not exist.*${ErrorCodes.DATA}`)],
  ];
  for (const [argv, code, pattern] of cases) {
    const r = io();
    t.is(await main(argv, r.io), code, argv.join(' '));
    t.regex(r.err.join('\n'), pattern);
  }
});
