import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { CoreResources, createTrainer, silentLogger, type GraftPlugin, type Trainer } from '../../../core/index.ts';
import { FromCheckpointInit } from '../../../plugins/init/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';
import { fixedWordTokenizer, tempDir } from './helpers.ts';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat'];
const V = 6 + WORDS.length;
const root = tempDir('graft-init-result-');
const stage1 = path.join(root, 'stage1');

const recipe = (extra: GraftPlugin[] = []): GraftPlugin[] => [
  fixedWordTokenizer(WORDS),
  new ToyModel({ vocab: V, dim: 8 }),
  new ToyObjective(),
  new ToySgd(),
  new ToyDataset({ vocab: V }),
  ...extra,
];
const build = (plugins: GraftPlugin[], seed = 7): Trainer => createTrainer({ plugins, options: { seed, epochs: 10, maxSteps: 3 }, logger: silentLogger() });
const warmStart = () => new FromCheckpointInit({ path: stage1, vocabParams: [{ name: 'backbone.embed', axis: 0 }] });

test.before(async () => {
  await tf.setBackend('cpu');
  const old = build(recipe(), 1);
  await old.fit();
  await old.save(stage1);
  old.dispose();
});

test.after.always(() => rmSync(root, { recursive: true, force: true }));

// The backbone of the toy model: its three parameters, sorted by name.
const BACKBONE = ['backbone.embed', 'backbone.proj.bias', 'backbone.proj.kernel'];

test.serial('offers { parameters_loaded } (sorted) to the stage result when it has loaded; a resumed run offers the same list', async (t) => {
  const plugin = warmStart();
  const warm = build(recipe([plugin]));
  await warm.setup();
  t.deepEqual(warm.resources.get(CoreResources.stageResult), { parameters_loaded: BACKBONE });
  t.deepEqual([...plugin.report!.loaded].sort(), BACKBONE);
  await warm.fit();
  const end = path.join(root, 'end');
  await warm.save(end);

  // Resumed: the warm start is skipped (no report), the list comes from the checkpoint.
  const again = warmStart();
  const resumed = build(recipe([again]));
  await resumed.resume(end);
  t.is(again.report, undefined);
  t.deepEqual(resumed.resources.get(CoreResources.stageResult), { parameters_loaded: BACKBONE });
  warm.dispose();
  resumed.dispose();
});

test.serial('nothing offered without a warm start', async (t) => {
  const plain = build(recipe());
  await plain.setup();
  t.is(plain.resources.get(CoreResources.stageResult), undefined);
  plain.dispose();
});
