import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { chatReplyText } from '../../cli/generateChat.ts';
import { GraftError, Rng, type Batch, type Tokenizer } from '../../core/index.ts';
import { generateChat, type Generator } from '../../plugins/generation/index.ts';
import { applyChatTemplate, ByteBpeTokenizer, withChatTemplate } from '../../plugins/tokenizers/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-generate-chat-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
test.before(async () => {
  await tf.setBackend('cpu');
});

const base = ByteBpeTokenizer.fit(['hello world, spam or ham'], { vocabSize: 270, specials: ['pad', 'eos'] });
const chat = withChatTemplate(base);
const h = base.encode('h')[0]!;

/**
 * A model that answers "h" `n` times then ends its turn (by the argmax of its logits), and
 * records every window it was given.
 */
function fakeModel(tok: Tokenizer, n: number, contextLength = 64) {
  const windows: number[][] = [];
  const V = tok.vocabSize;
  const end = V - 1; // the template's end-of-turn is the last id
  let calls = 0;
  const trainer: Generator = {
    forward(batch: Batch) {
      const ids = Array.from(batch.inputs!.dataSync());
      windows.push(ids);
      const next = calls++ < n ? h : end;
      const row = Array.from({ length: V }, (_, k) => (k === next ? 5 : 0));
      return { logits: tf.tensor3d([Array.from({ length: ids.length }, () => row)]) };
    },
    role: ((name: string) => (name === 'tokenizer' ? { tokenizer: tok } : { meta: { name: 'model:fake' }, contextLength })) as Generator['role'],
    rng: new Rng(1),
  };
  return { trainer, windows };
}

test('generateChat: the prompt in the template with the generation prompt; the reply ends at end-of-turn, which is left out', async (t) => {
  const { trainer, windows } = fakeModel(chat, 3);
  const reply = await generateChat(trainer, [{ role: 'user', content: 'spam or ham?' }], { temperature: 0, maxNewTokens: 10 });
  t.deepEqual(windows[0], Array.from(applyChatTemplate([{ role: 'user', content: 'spam or ham?' }], chat.chat, { addGenerationPrompt: true }).ids));
  t.deepEqual(reply, { text: 'hhh', ids: [h, h, h], ended: true });
  t.is(windows.length, 4, 'three tokens, then the end-of-turn: four forward passes');
  const capped = await generateChat(fakeModel(chat, 30).trainer, [{ role: 'user', content: 'x' }], { temperature: 0, maxNewTokens: 4 });
  t.deepEqual(capped, { text: 'hhhh', ids: [h, h, h, h], ended: false });
});

test('generateChat: a long prompt loses tokens from the left, keeping its first token and room for the reply', async (t) => {
  const { trainer, windows } = fakeModel(chat, 0, 16);
  await generateChat(trainer, [{ role: 'user', content: 'hello world '.repeat(10) }], { temperature: 0, maxNewTokens: 6 });
  const first = windows[0]!;
  t.is(first.length, 10);
  t.is(first[0], chat.chat.ids.user);
  t.deepEqual(first.slice(-2), [chat.chat.ids.endOfTurn, chat.chat.ids.assistant]);
});

test('without a chat template: generateChat is a DATA error, --chat a usage error', async (t) => {
  const { trainer } = fakeModel(base, 1);
  await t.throwsAsync(generateChat(trainer, [{ role: 'user', content: 'x' }]), { instanceOf: GraftError, message: /no chat template/ });
  await t.throwsAsync(chatReplyText(trainer, 'x', {}), { instanceOf: GraftError, message: /no chat template/ });
  t.is(await chatReplyText(fakeModel(chat, 2).trainer, 'x', {}), 'hh', 'greedy by default');
});

test('graft generate --chat on a checkpoint without a template exits 2; the flag is known', async (t) => {
  const out = path.join(dir, 'gpt');
  const err: string[] = [];
  const io = { out: () => {}, err: (s: string) => void err.push(s) };
  const sets = { 'tokenizer.type': 'byte-bpe', 'data.maxChars': '20000', 'train.maxSteps': '1', 'model.nLayers': '1', 'model.dModel': '16', 'train.evalEvery': '0', 'train.checkpointEvery': '0', 'sample.maxTokens': '2' };
  t.is(await main(['run', 'gpt-next-token-pretrain', ...Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]), '--backend', 'cpu', '--quiet', '--out', out], io), 0, err.join('\n'));
  err.length = 0;
  t.is(await main(['generate', path.join(out, 'pretrain/checkpoint'), '--chat', '--prompt', 'hi', '--backend', 'cpu'], io), 2);
  t.regex(err.join('\n'), /no chat template/);
});
