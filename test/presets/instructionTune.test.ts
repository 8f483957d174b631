import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { createTrainer, GraftError, silentLogger } from '../../core/index.ts';
import { InstructionsDataset, readInstructionFile } from '../../plugins/datasets/index.ts';
import { LmHead } from '../../plugins/heads/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { NextTokenObjective } from '../../plugins/objectives/index.ts';
import { CharTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { buildInstructions, exactMatchByTask, generateAnswers, normalizeAnswer, sentences, subjectOf, type InstructionCorpora } from '../../presets/index.ts';
import { ToySgd } from '../helpers/toy.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-instruction-tune-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
test.before(async () => {
  await tf.setBackend('cpu');
});

/** Small synthetic corpora in the shipped ones' shape: raw mails with headers, chapters of prose. */
function corpora(): InstructionCorpora {
  const mails = Array.from({ length: 60 }, (_, i) => ({
    group: i % 3 === 0 ? 'spam-1' : 'easy-ham-1',
    text: `From: a${i}@x.org\nSubject: note number ${i}\n  folded ${i % 5}\n\nHello reader number ${i}, this is the body of mail ${i} with several words.\n`,
  }));
  const chapters = Array.from({ length: 10 }, (_, c) => Array.from({ length: 12 }, (_, s) => `Sentence ${s} of chapter ${c} has a few words here.`).join(' '));
  return { mails, chapters };
}
const SMALL = { trainPerTask: 10, validationPerTask: 2, testPerTask: 4 };

test('the instruction set: same seed → identical, another seed → different; held-out task in test only; no prompt in both train and test', (t) => {
  const c = corpora();
  const a = buildInstructions(c, { ...SMALL, seed: 1 });
  t.deepEqual(buildInstructions(c, { ...SMALL, seed: 1 }), a);
  t.notDeepEqual(buildInstructions(c, { ...SMALL, seed: 2 }), a);
  const tasks = (xs: typeof a.train) => [...new Set(xs.map((e) => e.task))].sort();
  t.deepEqual(tasks(a.train), ['continue', 'spam-or-ham', 'subject']);
  t.deepEqual(tasks(a.validation), ['continue', 'spam-or-ham', 'subject']);
  t.deepEqual(tasks(a.test), ['continue', 'first-word', 'spam-or-ham', 'subject']);
  t.is(a.train.length, 30);
  t.is(a.test.length, 16);
  const trainPrompts = new Set(a.train.map((e) => e.messages[0]!.content));
  t.false(a.test.some((e) => trainPrompts.has(e.messages[0]!.content)));
  // Checkable answers, by hand from the synthetic text.
  const subj = a.test.find((e) => e.task === 'subject')!;
  const n = /mail (\d+) with/.exec(subj.messages[0]!.content)![1];
  t.is(subj.messages[1]!.content, `note number ${n} folded ${Number(n) % 5}`);
  const sh = a.train.filter((e) => e.task === 'spam-or-ham');
  t.is(sh.filter((e) => e.messages[1]!.content === 'spam').length, 5, 'half spam, half ham');
  for (const e of a.test.filter((x) => x.task === 'first-word')) t.is(e.messages[1]!.content, 'Sentence');
  for (const e of a.train.filter((x) => x.task === 'continue')) t.regex(e.messages[1]!.content, /^Sentence \d+ of chapter \d+ has a few words here\.$/);
  t.throws(() => buildInstructions(c, { tasks: ['nope'] }), { instanceOf: GraftError, message: /unknown task/ });
  t.throws(() => buildInstructions(c, { tasks: ['subject'], heldOutTasks: ['continue'] }), { instanceOf: GraftError });
});

test('helpers by hand: the Subject header, sentences', (t) => {
  t.is(subjectOf('From: x\nSubject: Re: hi\n  there\nTo: y\n\nSubject: not this'), 'Re: hi there');
  t.is(subjectOf('From: x\n\nSubject: body only'), '');
  t.deepEqual(sentences('Call me Ishmael.  Some years ago, never mind how long! "Whale?" he said.'), ['Call me Ishmael.', 'Some years ago, never mind how long!', '"Whale?" he said.']);
});

test('exact match by task, by hand: whitespace and case normalised, punctuation counts', (t) => {
  t.is(normalizeAnswer('  Ham \n'), 'ham');
  t.is(normalizeAnswer('Re:  [ILUG]\tHi'), 're: [ilug] hi');
  const scores = exactMatchByTask([
    { task: 'b', prediction: 'Spam', reference: 'spam' },
    { task: 'b', prediction: 'ham.', reference: 'ham' },
    { task: 'b', prediction: ' ham', reference: 'ham' },
    { task: 'a', prediction: 'x y', reference: 'x  y' },
  ]);
  t.deepEqual(scores, [
    { task: 'a', examples: 1, correct: 1, exactMatch: 1 },
    { task: 'b', examples: 3, correct: 2, exactMatch: 2 / 3 },
  ]);
});

test.serial('generating answers greedily frees every tensor (a second pass adds none)', async (t) => {
  const rows = [{ prompt: 'say a', response: 'a', task: 'x' }, { prompt: 'say b', response: 'b', task: 'y' }];
  const ds = new InstructionsDataset({ batchSize: 2, maxLen: 24 }, { train: rows, test: rows });
  const tr = createTrainer({ plugins: [ds, new CharTokenizerPlugin(), new GptModel({ contextLength: 24, nLayers: 1, nHeads: 2, dModel: 8, dropout: 0 }), new LmHead(), new NextTokenObjective(), new ToySgd(0.1)], options: { seed: 1 }, logger: silentLogger() });
  await tr.setup();
  // A first pass lets the model cache what it keeps per length (GPT's causal masks); a second one must add nothing.
  await generateAnswers(tr, ds.examples('test'), { maxNewTokens: 5 });
  const before = tf.memory().numTensors;
  const preds = await generateAnswers(tr, ds.examples('test'), { maxNewTokens: 5 });
  t.is(tf.memory().numTensors, before);
  t.deepEqual(preds.map((p) => [p.task, p.reference]), [['x', 'a'], ['y', 'b']]);
  t.true(preds.every((p) => typeof p.prediction === 'string' && [...p.prediction].length <= 5 * 2));
  tr.dispose();
});

test.serial('a tiny run: pre-train, tune, results.md/json with before and after per task; the set as JSONL; graft generate --chat', async (t) => {
  const out = path.join(dir, 'run');
  const errs: string[] = [];
  const io = { out: () => {}, err: (s: string) => void errs.push(s) };
  const sets = {
    'pretrain.steps': '2', 'pretrain.maxChars': '40000', 'pretrain.dataset.sources': 'npm:moby-dick', 'tune.steps': '2', 'model.nLayers': '1', 'model.dModel': '16', 'maxNewTokens': '3',
    'tune.dataset.setOptions': JSON.stringify({ trainPerTask: 6, validationPerTask: 1, testPerTask: 2 }),
  };
  const args = Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  t.is(await main(['run', 'instruction-tune', ...args, '--backend', 'cpu', '--quiet', '--out', out], io), 0, errs.join('\n'));
  const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  t.deepEqual(results.tasks.map((r: { task: string; trained: boolean }) => [r.task, r.trained]), [['continue', true], ['first-word', false], ['spam-or-ham', true], ['subject', true]]);
  for (const r of results.tasks) {
    t.is(r.examples, 2);
    t.true(r.before >= 0 && r.before <= 1 && r.after >= 0 && r.after <= 1);
  }
  t.is(results.method, 'full');
  const md = readFileSync(path.join(out, 'results.md'), 'utf8');
  t.regex(md, /\| first-word \| held out \| 2 \|/);
  t.is(readInstructionFile(path.join(out, 'instructions/train.jsonl')).length, 18);
  t.is(readInstructionFile(path.join(out, 'instructions/test.jsonl')).length, 8);
  const said: string[] = [];
  t.is(await main(['generate', path.join(out, 'tune/checkpoint'), '--chat', '--prompt', 'Is this message spam or ham?\nhello', '--max-tokens', '3'], { out: (s) => void said.push(s), err: (s) => void errs.push(s) }), 0, errs.join('\n'));
  t.is(said.length, 1);
});
