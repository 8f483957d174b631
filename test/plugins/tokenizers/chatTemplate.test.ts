import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraftError } from '../../../core/index.ts';
import {
  applyChatTemplate,
  ByteBpeTokenizer,
  ByteBpeTokenizerPlugin,
  chatTemplateOf,
  ChatTokenizer,
  CharTokenizer,
  DEFAULT_CHAT_TEMPLATE,
  loadTokenizer,
  withChatTemplate,
  WordTokenizer,
} from '../../../plugins/tokenizers/index.ts';

const TEXTS = ['Is this message spam or ham? Buy now!', 'spam', 'ham', 'What is the subject line of this mail?'];
const bpe = () => ByteBpeTokenizer.fit(TEXTS, { vocabSize: 300, specials: ['pad', 'bos', 'eos'] });

test('the template tokens come after the vocabulary, in the order system, user, assistant, end-of-turn', (t) => {
  const base = bpe();
  const tok = withChatTemplate(base);
  t.is(tok.vocabSize, base.vocabSize + 4);
  t.deepEqual(tok.chat.ids, { system: base.vocabSize, user: base.vocabSize + 1, assistant: base.vocabSize + 2, endOfTurn: base.vocabSize + 3 });
  t.is(tok.idToToken(base.vocabSize + 1), '<|user|>');
  t.is(tok.tokenToId('<|end|>'), base.vocabSize + 3);
  // Text spelling a role token is plain text, never the role id.
  t.deepEqual(Array.from(tok.encode('<|user|>')), Array.from(base.encode('<|user|>')));
  t.is(tok.decode([base.vocabSize + 1, ...base.encode('hi'), base.vocabSize + 3]), '<|user|>hi<|end|>');
  t.is(tok.decode([base.vocabSize + 1, ...base.encode('hi'), base.vocabSize + 3], { skipSpecials: true }), 'hi');
  t.is(withChatTemplate(tok), tok, 'adding the same template again is a no-op');
  t.throws(() => withChatTemplate(tok, { ...DEFAULT_CHAT_TEMPLATE, user: '<|human|>' }), { instanceOf: GraftError, message: /another chat template/ });
});

test('applyChatTemplate: ids by hand, and response flags on the reply and its end-of-turn only', (t) => {
  const tok = withChatTemplate(bpe());
  const { system: S, user: U, assistant: A, endOfTurn: E } = tok.chat.ids;
  const enc = (s: string) => Array.from(tok.encode(s));
  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'spam?' },
    { role: 'assistant' as const, content: 'ham' },
  ];
  const out = applyChatTemplate(messages, tok.chat);
  const expected = [S, ...enc('Be brief.'), E, U, ...enc('spam?'), E, A, ...enc('ham'), E];
  t.deepEqual(Array.from(out.ids), expected);
  const flags = [0, ...enc('Be brief.').map(() => 0), 0, 0, ...enc('spam?').map(() => 0), 0, 0, ...enc('ham').map(() => 1), 1];
  t.deepEqual(Array.from(out.response), flags);
  const gen = applyChatTemplate(messages.slice(0, 2), tok.chat, { addGenerationPrompt: true });
  t.deepEqual(Array.from(gen.ids), [S, ...enc('Be brief.'), E, U, ...enc('spam?'), E, A]);
  t.true(gen.response.every((f) => f === 0));
  t.throws(() => applyChatTemplate([{ role: 'robot' as never, content: 'x' }], tok.chat), { instanceOf: GraftError, message: /message 1/ });
});

test('round trip: save → load gives the same template and the same ids (byte-bpe, char, word)', (t) => {
  const messages = [{ role: 'user' as const, content: 'Is this message spam or ham?' }, { role: 'assistant' as const, content: 'spam' }];
  for (const base of [bpe(), CharTokenizer.fit(TEXTS), WordTokenizer.fit(TEXTS)]) {
    const tok = withChatTemplate(base);
    const json = JSON.parse(JSON.stringify(tok.toJSON()));
    t.deepEqual(json.chatTemplate, { ...DEFAULT_CHAT_TEMPLATE });
    const back = loadTokenizer(json);
    t.true(back instanceof ChatTokenizer, base.type);
    t.deepEqual(chatTemplateOf(back)!.template, tok.chat.template);
    t.is(back.vocabSize, tok.vocabSize);
    t.deepEqual(Array.from(applyChatTemplate(messages, chatTemplateOf(back)!).ids), Array.from(applyChatTemplate(messages, tok.chat).ids));
    t.deepEqual(back.toJSON(), tok.toJSON());
  }
  // Without a template, a tokenizer loads as before.
  t.true(loadTokenizer(bpe().toJSON()) instanceof ByteBpeTokenizer);
});

test('a tokenizer plugin restores the template from a tokenizer file, and a malformed template is an error naming the file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-chat-'));
  try {
    const tok = withChatTemplate(bpe());
    const file = path.join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify(tok.toJSON()));
    const plugin = new ByteBpeTokenizerPlugin({ from: file });
    const { createTrainer, silentLogger } = await import('../../../core/index.ts');
    const tr = createTrainer({ plugins: [plugin], logger: silentLogger() });
    // The plugin's loader is what is under test: call its setup step directly (no dataset needed to load).
    (plugin as unknown as { setupTokenizer(tr: unknown): void }).setupTokenizer(tr);
    t.deepEqual(chatTemplateOf(plugin.tokenizer)?.ids, tok.chat.ids);
    const carried = plugin.tokenizer;
    t.is(plugin.useChatTemplate(DEFAULT_CHAT_TEMPLATE), carried as ChatTokenizer, 'already carries it');
    writeFileSync(file, JSON.stringify({ ...tok.toJSON(), chatTemplate: { version: 1, user: 'x' } }));
    const bad = new ByteBpeTokenizerPlugin({ from: file });
    const e = t.throws(() => (bad as unknown as { setupTokenizer(tr: unknown): void }).setupTokenizer(tr), { instanceOf: GraftError });
    t.is(e.details.file, file);
    tr.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a template token the vocabulary already has is refused', (t) => {
  const base = bpe();
  const clash = { ...base, type: 'byte-bpe', vocabSize: base.vocabSize, specials: base.specials, encode: (x: string) => base.encode(x), decode: (ids: ArrayLike<number>) => base.decode(ids), idToToken: (id: number) => base.idToToken(id), tokenToId: (s: string) => (s === '<|user|>' ? 5 : base.tokenToId(s)), toJSON: () => base.toJSON() };
  t.throws(() => withChatTemplate(clash), { instanceOf: GraftError, message: /<\|user\|>.*already a token/ });
});
