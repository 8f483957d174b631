import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ErrorCodes, GraftError, createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import {
  ByteBpeTokenizer,
  ByteBpeTokenizerPlugin,
  CharTokenizer,
  CharTokenizerPlugin,
  WordTokenizer,
  WordTokenizerPlugin,
  type FittedTokenizerPlugin,
} from '../../../plugins/tokenizers/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const TEXTS_A = ['the whale the whale the sea', 'a ship, a ship!'];
const TEXTS_B = ['zebra quartz jumps over the fox', 'quartz zebra'];

/** The toy dataset, with raw texts to fit a tokenizer on. */
class TextToyDataset extends ToyDataset {
  constructor(private readonly texts: string[]) {
    super({ batches: 2 });
  }
  trainingTexts(): string[] {
    return this.texts;
  }
}

function trainer(tokenizer: GraftPlugin, dataset: GraftPlugin = new TextToyDataset(TEXTS_A), extra: GraftPlugin[] = []) {
  return createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(), dataset, tokenizer, ...extra],
    options: { epochs: 1, seed: 3 },
    logger: silentLogger(),
  });
}

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'graft-tok-'));
}

const KINDS = [
  { name: 'tokenizer:char', make: (o = {}) => new CharTokenizerPlugin(o), fit: (x: string[]) => CharTokenizer.fit(x) },
  { name: 'tokenizer:byte-bpe', make: (o = {}) => new ByteBpeTokenizerPlugin({ vocabSize: 270, minFrequency: 1, ...o }), fit: (x: string[]) => ByteBpeTokenizer.fit(x, { vocabSize: 270, minFrequency: 1 }) },
  { name: 'tokenizer:word', make: (o = {}) => new WordTokenizerPlugin({ minFreq: 1, ...o }), fit: (x: string[]) => WordTokenizer.fit(x, { minFreq: 1 }) },
] as const;

for (const kind of KINDS) {
  test(`${kind.name}: fits on the dataset's training texts in setup, at stage 'tokenizer'`, async (t) => {
    const plugin = kind.make() as FittedTokenizerPlugin<any>;
    t.is(plugin.meta.name, kind.name);
    t.throws(() => plugin.tokenizer, { instanceOf: GraftError, message: new RegExp(`${kind.name}.*before it exists`) });
    // A probe sees no tokenizer at stage 'data' and the fitted one at stage 'encode'.
    const seen: Record<string, boolean> = {};
    const probe: GraftPlugin = {
      meta: { name: 'callback:probe', kind: 'callback' },
      apply(tr: TrainerApi) {
        const has = () => {
          try {
            return tr.role('tokenizer').tokenizer.vocabSize > 0;
          } catch {
            return false;
          }
        };
        tr.tap('setup', this, () => void (seen.data = has()), { stage: 'data' });
        tr.tap('setup', this, () => void (seen.encode = has()), { stage: 'encode' });
      },
    };
    const tr = trainer(plugin, undefined, [probe]);
    await tr.setup();
    t.deepEqual(seen, { data: false, encode: true });
    t.is(plugin.origin, 'fit');
    t.deepEqual(plugin.tokenizer.toJSON(), kind.fit(TEXTS_A).toJSON());
    t.deepEqual(plugin.getState(), { json: plugin.tokenizer.toJSON() });
    tr.dispose();
  });

  test(`${kind.name}: resume restores the tokenizer from the checkpoint, not by refitting`, async (t) => {
    const dir = path.join(tmp(), 'ckpt');
    const first = kind.make() as FittedTokenizerPlugin<any>;
    const tr1 = trainer(first);
    await tr1.fit();
    await tr1.save(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    t.deepEqual(manifest.plugins[kind.name].state, first.tokenizer.toJSON());
    tr1.dispose();

    // Different training texts: a refit would give another vocabulary.
    t.notDeepEqual(kind.fit(TEXTS_B).toJSON(), first.tokenizer.toJSON());
    const second = kind.make() as FittedTokenizerPlugin<any>;
    const tr2 = trainer(second, new TextToyDataset(TEXTS_B));
    await tr2.resume(dir);
    t.is(second.origin, 'resume');
    t.deepEqual(second.tokenizer.toJSON(), first.tokenizer.toJSON());
    tr2.dispose();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  test(`${kind.name}: option "from" loads a checkpoint folder or a tokenizer JSON file`, async (t) => {
    const root = tmp();
    const dir = path.join(root, 'ckpt');
    const first = kind.make() as FittedTokenizerPlugin<any>;
    const tr1 = trainer(first);
    await tr1.save(dir);
    tr1.dispose();
    const file = path.join(root, 'tokenizer.json');
    writeFileSync(file, JSON.stringify(first.tokenizer.toJSON()));

    for (const from of [dir, file]) {
      const p = kind.make({ from }) as FittedTokenizerPlugin<any>;
      const tr = trainer(p, new TextToyDataset(TEXTS_B));
      await tr.setup();
      t.is(p.origin, 'from');
      t.deepEqual(p.tokenizer.toJSON(), first.tokenizer.toJSON());
      for (const s of TEXTS_A) t.deepEqual(p.tokenizer.encode(s), first.tokenizer.encode(s));
      tr.dispose();
    }
    rmSync(root, { recursive: true, force: true });
  });
}

test('a dataset without trainingTexts fails setup with an error naming both plugins', async (t) => {
  const tr = trainer(new CharTokenizerPlugin(), new ToyDataset());
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.MISSING_DEPENDENCY);
  t.regex(e.message, /plugin "tokenizer:char".*dataset plugin "dataset:toy" has no trainingTexts\(\).*option "from"/);
  tr.dispose();
});

test('"from" errors name the option and the file: missing path, wrong type, no state for the plugin', async (t) => {
  const root = tmp();
  const missing = path.join(root, 'nope.json');
  const e1 = await t.throwsAsync(trainer(new CharTokenizerPlugin({ from: missing })).setup(), { instanceOf: GraftError });
  t.regex(e1.message, /tokenizer:char.*option "from".*nope\.json/);

  const charFile = path.join(root, 'char.json');
  writeFileSync(charFile, JSON.stringify(CharTokenizer.fit(TEXTS_A).toJSON()));
  const e2 = await t.throwsAsync(trainer(new ByteBpeTokenizerPlugin({ from: charFile })).setup(), { instanceOf: GraftError });
  t.regex(e2.message, /tokenizer:byte-bpe.*char\.json.*another type; expected type "byte-bpe", got "char"/);

  const dir = path.join(root, 'ckpt');
  const tr = trainer(new CharTokenizerPlugin());
  await tr.save(dir);
  tr.dispose();
  const e3 = await t.throwsAsync(trainer(new WordTokenizerPlugin({ from: dir })).setup(), { instanceOf: GraftError });
  t.regex(e3.message, /tokenizer:word.*no tokenizer state for this plugin.*tokenizer:char/);

  const broken = path.join(root, 'broken.json');
  writeFileSync(broken, JSON.stringify({ ...CharTokenizer.fit(TEXTS_A).toJSON(), chars: [1, 2] }));
  const e4 = await t.throwsAsync(trainer(new CharTokenizerPlugin({ from: broken })).setup(), { instanceOf: GraftError });
  t.regex(e4.message, /broken\.json: invalid tokenizer JSON.*"chars"/);
  rmSync(root, { recursive: true, force: true });
});

test('load() into a run whose tokenizer differs from the checkpoint\'s is refused; the same one is fine', async (t) => {
  const root = tmp();
  const dir = path.join(root, 'ckpt');
  const tr1 = trainer(new CharTokenizerPlugin());
  await tr1.save(dir);
  tr1.dispose();

  const same = trainer(new CharTokenizerPlugin());
  await t.notThrowsAsync(same.load(dir));
  same.dispose();

  const other = trainer(new CharTokenizerPlugin(), new TextToyDataset(TEXTS_B));
  const e = await t.throwsAsync(other.load(dir), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.CHECKPOINT);
  t.regex(e.message, /tokenizer:char.*different tokenizer.*trainer\.resume/);
  other.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('plugin options are validated in the constructor and errors name the option', (t) => {
  const e = t.throws(() => new CharTokenizerPlugin({ maxVocab: 10 }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_OPTION);
  t.regex(e.message, /tokenizer:char.*option "maxVocab"/);
  t.throws(() => new ByteBpeTokenizerPlugin({ vocabSize: 100 }), { message: /tokenizer:byte-bpe.*option "vocabSize"/ });
  t.throws(() => new WordTokenizerPlugin({ minFreq: -1 }), { message: /tokenizer:word.*option "minFreq"/ });
  t.throws(() => new WordTokenizerPlugin({ vocab: 3 } as never), { message: /option "vocab".*unknown option/ });
  t.throws(() => new CharTokenizerPlugin({ from: 3 } as never), { message: /option "from".*a string/ });
  const p = new ByteBpeTokenizerPlugin();
  t.deepEqual(p.options, { from: undefined, vocabSize: 512, specials: ['pad', 'bos', 'eos'], minFrequency: 2, allowSpecialInText: false });
});

test.serial('a run with a tokenizer plugin keeps the tensor count flat across steps', async (t) => {
  const tr = trainer(new CharTokenizerPlugin());
  await tr.setup();
  await tr.fit(); // warm-up epoch
  const before = tf.memory().numTensors;
  await tr.fit();
  t.is(tf.memory().numTensors, before);
  tr.dispose();
});
