import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../cli/main.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

test('an unknown preset exits 2 and names the presets', async (t) => {
  const c = capture();
  t.is(await main(['run', 'gpt-pretrain'], c.io), 2);
  t.regex(c.err.join('\n'), /unknown preset "gpt-pretrain".*expected one of gpt-next-token-pretrain/);
});

test('an unknown --set key exits 2, lists the keys, suggests one, and writes nothing', async (t) => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'graft-cli-')), 'run');
  const c = capture();
  t.is(await main(['run', 'gpt-next-token-pretrain', '--set', 'train.learningRate=3', '--out', out], c.io), 2);
  const msg = c.err.join('\n');
  t.regex(msg, /unknown configuration key "train.learningRate".*expected one of data.sources/);
  t.false(existsSync(out), 'nothing was written');
});

test('a value of the wrong type exits 2 naming the key and the type, and writes nothing', async (t) => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'graft-cli-')), 'run');
  for (const [set, re] of [
    ['train.maxSteps=many', /option "train.maxSteps".*expected a integer, got "many"/],
    ['train.maxSteps=2.5', /option "train.maxSteps".*expected an integer/],
    ['tokenizer.type=words', /option "tokenizer.type".*expected one of char, byte-bpe/],
    // The owner's rule (AdamW's lr), not a second one of the preset's.
    ['train.lr=-1', /plugin "optimizer:adamw", option "train.lr".*expected a number >= 0/],
  ] as const) {
    const c = capture();
    t.is(await main(['run', 'gpt-next-token-pretrain', '--set', set, '--out', out], c.io), 2, set);
    t.regex(c.err.join('\n'), re);
  }
  t.false(existsSync(out));
});

test('bad usage exits 2: unknown command, unknown flag, missing values', async (t) => {
  for (const [args, re] of [
    [['train'], /unknown command "train"/],
    [['run', 'gpt-next-token-pretrain', '--epochs', '3'], /unknown flag --epochs/],
    [['run'], /needs a preset name/],
    [['run', 'gpt-next-token-pretrain', '--seed', 'x'], /--seed must be a non-negative integer/],
    [['run', 'gpt-next-token-pretrain', '--backend', 'tpu'], /unknown backend 'tpu'/],
    [['run', 'gpt-next-token-pretrain', '--set', 'novalue'], /--set needs key=value/],
    [['generate', '/nonexistent'], /needs --prompt/],
  ] as const) {
    const c = capture();
    t.is(await main([...args], c.io), 2, args.join(' '));
    t.regex(c.err.join('\n'), re);
  }
});

test('list names presets and plugins; describe prints the configuration and the loop', async (t) => {
  const c = capture();
  t.is(await main(['list'], c.io), 0);
  const text = c.out.join('\n');
  t.regex(text, /gpt-next-token-pretrain/);
  t.regex(text, /ulmfit-3-stage/);
  t.regex(text, /scheduler:slanted-triangular/);
  const d = capture();
  t.is(await main(['describe', 'gpt-next-token-pretrain', '--set', 'model.nLayers=2'], d.io), 0);
  const desc = d.out.join('\n');
  t.regex(desc, /model\.nLayers\s+2/);
  t.regex(desc, /setup\n(.*\n)*? {2}data {7}dataset:text-corpus\n {2}tokenizer {2}tokenizer:char/);
  t.regex(desc, /afterBackward\n {2}normalize {2}callback:grad-clip/);
  t.regex(desc, /beforeOptimizerStep\n {2}default {4}scheduler:warmup-cosine/);
});

test('a failure while running exits 1', async (t) => {
  // A missing source is found before the run (exit 2, test/cli/validation.test.ts); a corpus too
  // short for one batch is known only once the tokenizer has encoded it, in the running stage.
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-cli-'));
  const corpus = path.join(dir, 'short.txt');
  writeFileSync(corpus, 'Call me Ishmael.\n');
  const c = capture();
  t.is(await main(['run', 'gpt-next-token-pretrain', '--set', `data.sources=${corpus}`, '--out', path.join(dir, 'run'), '--quiet'], c.io), 1);
  t.regex(c.err.join('\n'), /not one batch.*\[GRAFT_ERR_DATA\]/);
});

// The sources in a child process (the compiled bin is tested from the packed tarball, in test/package).
test('the graft command: a tiny run, then generate from its checkpoint; exit codes from the process', async (t) => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'graft-cli-')), 'run');
  const bin = path.join(root, 'cli/main.ts');
  const sets = ['data.maxChars=30000', 'model.nLayers=1', 'model.dModel=32', 'model.nHeads=2', 'model.contextLength=32', 'train.batchSize=4',
    'train.maxSteps=6', 'train.evalEvery=3', 'train.checkpointEvery=3', 'sample.maxTokens=10', 'data.maxValidationBatches=2'].flatMap((s) => ['--set', s]);
  const r = await run(process.execPath, ['--import=tsx', bin, 'run', 'gpt-next-token-pretrain', ...sets, '--out', out, '--quiet'], { cwd: root });
  t.regex(r.stdout, /stage pretrain/);
  t.regex(r.stdout, /steps: 6/);
  const result = JSON.parse(readFileSync(path.join(out, 'pretrain/result.json'), 'utf8'));
  t.is(result.steps, 6);
  t.true(Number.isFinite(result.metrics.validation_loss));
  t.true(result.sample.startsWith('Call me Ishmael. '));
  const g = await run(process.execPath, ['--import=tsx', bin, 'generate', path.join(out, 'pretrain/checkpoint'), '--prompt', 'The whale', '--max-tokens', '8'], { cwd: root });
  t.true(g.stdout.startsWith('The whale'));
  t.true(g.stdout.trim().length > 'The whale'.length);
  // Re-running the same command skips the finished stage.
  const again = await run(process.execPath, ['--import=tsx', bin, 'run', 'gpt-next-token-pretrain', ...sets, '--out', out, '--quiet'], { cwd: root });
  t.regex(again.stdout, /already complete, skipped/);
  const bad = await run(process.execPath, ['--import=tsx', bin, 'run', 'nope'], { cwd: root }).catch((e) => e);
  t.is(bad.code, 2);
});
