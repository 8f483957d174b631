import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, GraftError, silentLogger, type Batch, type GraftPlugin } from '../../../core/index.ts';
import { fitToLength, InstructionsDataset, isFitError, readInstructionFile, registerInstructionSet, type InstructionRecord } from '../../../plugins/datasets/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { NextTokenObjective, tokenCrossEntropy } from '../../../plugins/objectives/index.ts';
import { applyChatTemplate, chatTemplateOf, CharTokenizerPlugin, type ChatTokens } from '../../../plugins/tokenizers/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { pluginConformance } from '../../conformance/index.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const dir = mkdtempSync(path.join(tmpdir(), 'graft-instr-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLES: InstructionRecord[] = [
  { prompt: 'is abc spam?', response: 'no', task: 'label' },
  { prompt: 'is xyz spam?', response: 'yes', task: 'label' },
  { prompt: 'say hi', response: 'hi', task: 'echo' },
  { messages: [{ role: 'system', content: 'be short' }, { role: 'user', content: 'say ok' }, { role: 'assistant', content: 'ok' }], task: 'echo' },
  { prompt: 'is qqq spam?', response: 'no', task: 'label' },
  { prompt: 'say yo', response: 'yo', task: 'echo' },
];

/** A tiny recipe around the dataset: char tokenizer fitted on it, a 1-layer GPT. */
function recipe(ds: InstructionsDataset, extra: GraftPlugin[] = []): GraftPlugin[] {
  return [ds, new CharTokenizerPlugin(), new GptModel({ contextLength: 32, nLayers: 1, nHeads: 2, dModel: 8, dropout: 0 }), new LmHead(), new NextTokenObjective(), new ToySgd(0.1), ...extra];
}

async function setUp(o: ConstructorParameters<typeof InstructionsDataset>[0] = {}, seed = 1, rows = EXAMPLES) {
  const ds = new InstructionsDataset({ batchSize: 2, maxLen: 32, ...o }, { train: rows, validation: rows.slice(0, 2), test: rows.slice(2, 3) });
  const tr = createTrainer({ plugins: recipe(ds), options: { seed }, logger: silentLogger() });
  await tr.setup();
  return { tr, ds };
}

function arrays(b: Batch): { inputs: number[][]; targets: number[][]; mask: number[][] } {
  const out = { inputs: b.inputs!.arraySync() as number[][], targets: b.targets!.arraySync() as number[][], mask: b.mask!.arraySync() as number[][] };
  tf.dispose(Object.values(b));
  return out;
}

test('JSONL: both forms read with task, file and line; a bad line is an error naming file and line', (t) => {
  const file = path.join(dir, 'a.jsonl');
  writeFileSync(file, [JSON.stringify({ prompt: 'p', response: 'r', task: 'x' }), '', JSON.stringify({ messages: [{ role: 'user', content: 'u' }, { role: 'assistant', content: 'a' }] })].join('\n'));
  const ex = readInstructionFile(file);
  t.deepEqual(ex.map((e) => [e.task, e.line, e.messages.length]), [['x', 1, 2], ['', 3, 2]]);
  t.is(ex[0]!.file, file);
  writeFileSync(file, `${JSON.stringify({ prompt: 'p', response: 'r' })}\n{"prompt": "p"}\n`);
  const e1 = t.throws(() => readInstructionFile(file), { instanceOf: GraftError, message: /response/ });
  t.is(e1.details.file, file);
  t.is(e1.details.line, 2);
  writeFileSync(file, `${JSON.stringify({ prompt: 'p', response: 'r' })}\nnot json\n`);
  t.is(t.throws(() => readInstructionFile(file), { instanceOf: GraftError }).details.line, 2);
  writeFileSync(file, `${JSON.stringify({ messages: [{ role: 'user', content: 'u' }] })}\n`);
  t.throws(() => readInstructionFile(file), { instanceOf: GraftError, message: /no assistant message/ });
  writeFileSync(file, `${JSON.stringify({ messages: [{ role: 'bot', content: 'u' }] })}\n`);
  t.throws(() => readInstructionFile(file), { instanceOf: GraftError, message: /messages\[0\]/ });
});

test('a batch by hand: inputs = ids[0, L-1), targets = ids[1, L), mask 1 only on reply targets and the end-of-turn; padded', async (t) => {
  const rows = EXAMPLES.slice(0, 3);
  const { tr, ds } = await setUp({ batchSize: 3 }, 1, rows);
  const tok = tr.role('tokenizer').tokenizer;
  const chat = chatTemplateOf(tok)!;
  t.truthy(chat, 'the dataset put the template on the tokenizer');
  t.is(tr.role('model').vocabSize, tok.vocabSize, 'the model was built with the template tokens');
  const [b] = [...ds.batches('validation', { epoch: 0 })];
  const got = arrays(b!);
  const pad = tok.specials.pad ?? 0;
  const want = rows.slice(0, 2).map((r) => applyChatTemplate([{ role: 'user', content: (r as { prompt: string }).prompt }, { role: 'assistant', content: (r as { response: string }).response }], chat));
  const T = 32; // maxLen: every batch has that shape
  t.is(got.inputs[0]!.length, T);
  want.forEach((w, r) => {
    const L = w.ids.length;
    const padTo = (a: number[], v: number) => [...a, ...Array(T - a.length).fill(v)];
    t.deepEqual(got.inputs[r], padTo(Array.from(w.ids.slice(0, L - 1)), pad));
    t.deepEqual(got.targets[r], padTo(Array.from(w.ids.slice(1)), pad));
    t.deepEqual(got.mask[r], padTo(Array.from(w.response.slice(1)), 0));
    // The reply's tokens and the end-of-turn: exactly response length + 1 targets count.
    const reply = (rows[r] as { response: string }).response;
    t.is(got.mask[r]!.reduce((a, x) => a + x, 0), tok.encode(reply).length + 1);
    t.is(got.targets[r]![got.mask[r]!.lastIndexOf(1)], chat.ids.endOfTurn);
  });
  tr.dispose();
});

test('truncation: the prompt loses tokens from the left (first token kept), the reply never; too long a reply is an error naming file and line', async (t) => {
  const tokens: ChatTokens = { ids: Int32Array.from([90, 1, 2, 3, 4, 5, 92, 7, 8, 93]), response: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]) };
  const cut = fitToLength(tokens, 6);
  t.false(isFitError(cut));
  t.deepEqual(Array.from((cut as ChatTokens).ids), [90, 5, 92, 7, 8, 93]);
  t.deepEqual(Array.from((cut as ChatTokens).response), [0, 0, 0, 1, 1, 1]);
  t.deepEqual(fitToLength(tokens, 4), { tooLong: true, needed: 5 });
  t.is(fitToLength(tokens, 10), tokens);
  const file = path.join(dir, 'long.jsonl');
  writeFileSync(file, `${JSON.stringify({ prompt: 'a', response: 'b' })}\n${JSON.stringify({ prompt: 'a', response: 'x'.repeat(40) })}\n`);
  const ds = new InstructionsDataset({ source: file, maxLen: 16 });
  const tr = createTrainer({ plugins: recipe(ds), logger: silentLogger() });
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError, message: /does not fit/ });
  t.is(e.details.file, file);
  t.is(e.details.line, 2);
  tr.dispose();
});

test('training order: seeded, reshuffled each epoch, resumable from a position; validation in order', async (t) => {
  const order = async (seed: number, epoch: number, from = 0) => {
    const { tr, ds } = await setUp({}, seed);
    const out = [...ds.batches('train', { epoch, from })].map((b) => arrays(b).inputs.map((r) => r.join()));
    tr.dispose();
    return out;
  };
  const a = await order(1, 0);
  t.is(a.length, 3);
  t.deepEqual(await order(1, 0), a);
  t.deepEqual(await order(1, 0, 1), a.slice(1), 'from = 1 resumes the same epoch');
  t.notDeepEqual(await order(1, 1), a);
  t.notDeepEqual(await order(2, 0), a);
  const { tr, ds } = await setUp({ tasks: ['echo'] });
  t.is(ds.examples('train').length, 3);
  t.deepEqual(ds.tasks('train'), ['echo']);
  t.is(ds.numBatches('validation'), 1);
  tr.dispose();
});

test('prompt masking by hand: zero gradient on prompt positions, loss = mean over reply tokens', (t) => {
  // One row, T = 4, V = 3: positions 0 and 1 are prompt targets (mask 0), 2 and 3 reply targets.
  const logitsData = [
    [2, 0, 1],
    [0, 3, 1],
    [1, 1, 0],
    [0, 2, 4],
  ];
  const targets = [1, 2, 0, 2];
  const mask = [0, 0, 1, 1];
  const logits = tf.tensor3d([logitsData]);
  const tgt = tf.tensor2d([targets], [1, 4], 'int32');
  const m = tf.tensor2d([mask], [1, 4]);
  const objective = new NextTokenObjective();
  const f = (x: tf.Tensor) => objective.loss({ logits: x }, { targets: tgt, mask: m }) as tf.Scalar;
  const { value, grads } = tf.valueAndGrads(f)([logits]);
  const nll = (row: number[], y: number) => Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[y]!;
  const byHand = (nll(logitsData[2]!, 0) + nll(logitsData[3]!, 2)) / 2;
  t.true(Math.abs(value.dataSync()[0]! - byHand) < 1e-5, `${value.dataSync()[0]} vs ${byHand}`);
  const g = grads[0]!.arraySync() as number[][][];
  t.deepEqual(g[0]![0], [0, 0, 0]);
  t.deepEqual(g[0]![1], [0, 0, 0]);
  // On a reply position: (softmax - onehot) / 2.
  const row = logitsData[3]!;
  const z = row.reduce((a, v) => a + Math.exp(v), 0);
  row.forEach((v, k) => t.true(Math.abs(g[0]![3]![k]! - (Math.exp(v) / z - (k === 2 ? 1 : 0)) / 2) < 1e-6));
  t.true(Math.abs(tokenCrossEntropy(logits, tgt, m).dataSync()[0]! - byHand) < 1e-5);
  tf.dispose([logits, tgt, m, value, ...grads]);
});

test.serial('training steps free their tensors: the count is flat from step to step', async (t) => {
  const counts: number[] = [];
  const probe: GraftPlugin = {
    meta: { name: 'callback:probe', kind: 'callback' },
    apply(tr) {
      tr.tap('afterStep', this, () => void counts.push(tf.memory().numTensors), { stage: 'observe' });
    },
  };
  const tr = createTrainer({ plugins: recipe(new InstructionsDataset({ batchSize: 2, maxLen: 32 }, { train: EXAMPLES }), [probe]), options: { seed: 3, epochs: 3, maxSteps: 6 }, logger: silentLogger() });
  await tr.fit();
  t.is(counts.length, 6);
  // The first step makes what is kept (the model's causal mask); every later step leaves the count as it was.
  t.deepEqual(counts.slice(1), Array(5).fill(counts[1]));
  tr.dispose();
});

test('options and sources: errors name the option; a registered set gives its splits', async (t) => {
  t.throws(() => new InstructionsDataset({}), { instanceOf: GraftError, message: /no examples/ });
  t.throws(() => new InstructionsDataset({ source: 'set:x', test: 'a.jsonl' }), { instanceOf: GraftError, message: /own splits/ });
  const e = t.throws(() => new InstructionsDataset({ source: 'a.jsonl', chatTemplate: { version: 2 } }), { instanceOf: GraftError });
  t.is(e.details.option, 'chatTemplate');
  t.is(t.throws(() => new InstructionsDataset({ source: 'set:nope' }).preflight(), { instanceOf: GraftError }).details.option, 'source');
  t.is(t.throws(() => new InstructionsDataset({ source: path.join(dir, 'missing.jsonl') }).preflight(), { instanceOf: GraftError }).details.option, 'source');
  const rows = EXAMPLES.map((r) => ({ ...r }));
  registerInstructionSet('test-tiny', (o) => ({ train: rows.slice(0, Number(o.n ?? 4)).map((r, i) => ({ messages: 'messages' in r ? r.messages : [{ role: 'user' as const, content: r.prompt }, { role: 'assistant' as const, content: r.response }], task: r.task ?? '', line: i + 1 })), validation: [], test: [] }));
  const ds = new InstructionsDataset({ source: 'set:test-tiny', setOptions: { n: 3 }, batchSize: 2 });
  t.deepEqual(ds.preflight(), { warnings: [] });
  const tr = createTrainer({ plugins: recipe(ds), logger: silentLogger() });
  await tr.setup();
  t.is(ds.examples('train').length, 3);
  tr.dispose();
});

pluginConformance(test, {
  make: () => new InstructionsDataset({ batchSize: 2, maxLen: 32 }, { train: EXAMPLES, validation: EXAMPLES.slice(0, 2) }),
  recipe: () => [new CharTokenizerPlugin(), new GptModel({ contextLength: 32, nLayers: 1, nHeads: 2, dModel: 8, dropout: 0 }), new LmHead(), new NextTokenObjective(), new ToySgd(0.1)],
  // The examples and the template fix the vocabulary, so the parameters' shapes: no checkpoint of a recipe without them.
  without: false,
  steps: 2,
});
