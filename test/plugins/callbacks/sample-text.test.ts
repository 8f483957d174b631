import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreResources, createTrainer, ErrorCodes, GraftError, silentLogger, type GraftPlugin } from '../../../core/index.ts';
import { SampleTextCallback } from '../../../plugins/callbacks/index.ts';
import { sampleText } from '../../../plugins/generation/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { lmRecipe, tempFolder } from '../conformance/recipes.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const tmp = tempFolder('graft-sample-text-');
test.after.always(() => tmp.remove());

// A char GPT on ~400 characters; the sample goes to a file in the temporary folder.
pluginConformance(test, {
  make: () => new SampleTextCallback({ prompt: 'the ', maxTokens: 4, file: path.join(tmp.dir, 'conformance', 'sample.txt') }),
  recipe: () => lmRecipe(),
});

function run(plugins: GraftPlugin[], runDir?: string, maxSteps = 2) {
  const trainer = createTrainer({ plugins: [...lmRecipe(), ...plugins], options: { seed: 5, maxSteps }, logger: silentLogger() });
  if (runDir !== undefined) trainer.resources.set(CoreResources.runDir, runDir);
  return trainer;
}

test.serial('samples at the end of a run with the run seed: the file in the run folder and { sample } in the stage result', async (t) => {
  const dir = path.join(tmp.dir, 'run');
  const plugin = new SampleTextCallback({ prompt: 'the whale', maxTokens: 12, temperature: 0.8, topK: 5 });
  const trainer = run([plugin], dir);
  await trainer.fit();
  const expected = await sampleText(trainer, 'the whale', { maxNewTokens: 12, temperature: 0.8, topK: 5, seed: 5 });
  t.true(expected.startsWith('the whale'));
  t.is(plugin.sample, expected);
  t.is(readFileSync(path.join(dir, 'sample.txt'), 'utf8'), expected + '\n');
  t.deepEqual(trainer.resources.get(CoreResources.stageResult), { sample: expected });
  trainer.dispose();
});

test.serial("file '' writes nothing; a relative file without a run folder fails before training, naming the option", async (t) => {
  const quiet = new SampleTextCallback({ maxTokens: 3, file: '' });
  const a = run([quiet]);
  await a.fit();
  t.is(typeof quiet.sample, 'string');
  a.dispose();
  const b = run([new SampleTextCallback({ maxTokens: 3 })]);
  const e = await t.throwsAsync(() => b.fit(), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.MISSING_DEPENDENCY);
  t.regex(e.message, /callback:sample-text", option "file": has no run folder/);
  t.is(b.state.step, 0, 'no step trained');
  b.dispose();
});

test.serial('no sample after a failed run', async (t) => {
  const dir = path.join(tmp.dir, 'failed');
  const plugin = new SampleTextCallback({ maxTokens: 3 });
  const boom: GraftPlugin = {
    meta: { name: 'callback:boom', kind: 'callback' },
    apply(tr) {
      tr.tap('afterStep', this, () => {
        throw new Error('boom');
      });
    },
  };
  const trainer = run([plugin, boom], dir);
  await t.throwsAsync(() => trainer.fit(), { message: 'boom' });
  t.is(plugin.sample, undefined);
  t.false(existsSync(path.join(dir, 'sample.txt')));
  t.is(trainer.resources.get(CoreResources.stageResult), undefined);
  trainer.dispose();
});

test('options are checked by the constructor', (t) => {
  t.throws(() => new SampleTextCallback({ prompt: '' }), { message: /option "prompt".*a non-empty string/ });
  t.throws(() => new SampleTextCallback({ topK: -1 }), { message: /option "topK"/ });
});
