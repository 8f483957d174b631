import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { matches, silentLogger, type Trainer } from '../../core/index.ts';
import { BottleneckAdapter, houlsbyParameterCount, LoraAdapter, loraParameterCount, trainableCount } from '../../plugins/adapters/index.ts';
import { ParamFreezing } from '../../plugins/freezing/index.ts';
import { SequenceClassifierHead } from '../../plugins/heads/index.ts';
import { LayerwiseDecayLrGroups } from '../../plugins/lr-groups/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { ClassificationObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import {
  builtinRegistry,
  configure,
  createStageTrainer,
  emptySlot,
  FINETUNE_METHOD_NAMES,
  FINETUNE_METHODS,
  finetuneMethodChoice,
  GPT_LORA_TARGETS,
  placeholderContext,
  recipe,
  recipeFromData,
  recipeKeys,
  recipeToData,
  stage,
  toStageSpec,
  use,
  type FinetuneMethod,
  type Recipe,
} from '../../presets/index.ts';
import { SEQ_TOY, SeqToyDataset } from '../plugins/heads/sequenceToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** The toy sequence-classification set as a recipe can name it (a class with static meta and options). */
class SeqToy extends SeqToyDataset {
  static readonly meta = { name: 'dataset:seq-toy', kind: 'dataset' } as const;
  static readonly options = {} as const;
  constructor() {
    super({ batches: 3, batchSize: 4 });
  }
}

// A tiny GPT: D = 8, H = 4D = 32, 2 blocks; the head is head.cls.out [8, 2] + [2].
const D = 8;
const H = 32;
const L = 2;
const C = 2;
const HEAD = D * C + C;

const FT = recipe({
  name: 'finetune-methods-test',
  description: 'every fine-tuning method on one tiny GPT classifier',
  stages: [
    stage('finetune', 'fine-tune a tiny GPT classifier', [
      use(SeqToy),
      use(GptModel, { vocabSize: SEQ_TOY.vocab, contextLength: 8, nLayers: L, nHeads: 2, dModel: D, dropout: 0 }),
      use(SequenceClassifierHead, { dropout: 0 }),
      use(ClassificationObjective),
      use(AdamwOptimizer, { lr: 0.01, weightDecay: 0.01 }),
      emptySlot('method'),
    ], { maxSteps: 3, seed: 7 }),
  ],
  aliases: { 'finetune.method': finetuneMethodChoice('finetune.method') },
});

/** LoRA and adapter sizes small enough for D = 8, set through the method's keys. */
const SETTINGS: Partial<Record<FinetuneMethod, Record<string, unknown>>> = {
  lora: { 'finetune.method.rank': 2, 'finetune.method.alpha': 4, 'finetune.method.dropout': 0.1 },
  adapters: { 'finetune.method.size': 4 },
};

function trainerFor(r: Recipe): Trainer {
  const spec = toStageSpec(r.stages[0]!, r);
  return createStageTrainer(spec, placeholderContext([spec]), { logger: silentLogger() });
}

function snapshot(tr: Trainer): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const n of tr.params.names()) out[n] = tr.params.get(n).dataSync().slice() as Float32Array;
  return out;
}

const biases = ['**.bias', '**.beta'];
const layerNorms = ['backbone.**.ln*.*'];

/** What each method trains: the parameters that must change; every other one must stay bit-identical. */
const TRAINS: Record<FinetuneMethod, readonly string[]> = {
  full: ['**'],
  lora: ['adapter.lora.**', 'head.**'],
  bitfit: [...biases, 'head.**'],
  'linear-probe': ['head.**'],
  adapters: ['adapter.bottleneck.**', 'head.**', ...layerNorms],
  'layerwise-lr': ['**'],
};

/** Trainable scalars, by formula. */
const gpt = (() => {
  const perBlock = 2 * 2 * D + (D * 3 * D + 3 * D) + (D * D + D) + (D * H + H) + (H * D + D);
  return SEQ_TOY.vocab * D + 8 * D + L * perBlock + 2 * D;
})();
const COUNTS: Record<FinetuneMethod, number> = {
  full: gpt + HEAD,
  // rank · (in + out) per adapted matrix: qkv [D, 3D], attn.proj [D, D], mlp.fc [D, H], mlp.proj [H, D]
  lora: L * (2 * (D + 3 * D) + 2 * (D + D) + 2 * (D + H) + 2 * (H + D)) + HEAD,
  // per block: qkv, attn.proj, mlp.fc, mlp.proj biases and two LayerNorm betas; the final LayerNorm's beta
  bitfit: L * (3 * D + D + H + D + 2 * D) + D + HEAD,
  'linear-probe': HEAD,
  // two adapters per block (after attention and MLP) of 2·D·m + m + D, every LayerNorm's gamma and beta
  adapters: 2 * L * houlsbyParameterCount(D, 4) + (2 * L + 1) * 2 * D + HEAD,
  'layerwise-lr': gpt + HEAD,
};

const initial = new Map<FinetuneMethod, Record<string, Float32Array>>();

for (const method of FINETUNE_METHOD_NAMES) {
  test.serial(`finetune.method=${method}: exactly the method's parameters change in training, the rest stay bit-identical`, async (t) => {
    const r = configure(FT, { set: { 'finetune.method': method, ...SETTINGS[method] } });
    const tr = trainerFor(r);
    await tr.setup();
    t.is(tr.params.count({ trainableOnly: true }), COUNTS[method], 'trainable parameters');
    const before = snapshot(tr);
    initial.set(method, before);
    const res = await tr.fit();
    t.is(res.state.step, 3);
    const after = snapshot(tr);
    const trained = TRAINS[method];
    let changed = 0;
    for (const [n, b] of Object.entries(before)) {
      if (trained.some((p) => matches(n, p))) {
        t.notDeepEqual(after[n], b, `${n} learned`);
        changed++;
      } else t.deepEqual(after[n], b, `${n} is bit-identical`);
    }
    t.true(changed > 0);
    // Trainable = what the method trains, and nothing else.
    t.deepEqual(tr.params.trainable().map((e) => e.name).sort(), Object.keys(before).filter((n) => trained.some((p) => matches(n, p))).sort());
    tr.dispose();
  });
}

test.serial('every method starts from the same model: the backbone and head are the same before training', (t) => {
  // Serial tests run in order: every method's test has recorded its parameters before training.
  const full = initial.get('full')!;
  t.is(initial.size, FINETUNE_METHOD_NAMES.length);
  for (const method of FINETUNE_METHOD_NAMES) {
    const b = initial.get(method)!;
    for (const n of Object.keys(full)) t.deepEqual(b[n], full[n], `${method}: ${n}`);
  }
});

test('full runs no method plugin; each other method runs its plugin in the method slot, with the keys it sets', async (t) => {
  const pluginsOf = (method: FinetuneMethod) => {
    const tr = trainerFor(configure(FT, { set: { 'finetune.method': method, ...SETTINGS[method] } }));
    const ps = [...tr.plugins];
    tr.dispose();
    return ps;
  };
  const methodKinds = new Set(['adapter', 'freezing', 'lr-groups']);
  t.deepEqual(pluginsOf('full').map((p) => p.meta.name), ['dataset:seq-toy', 'model:gpt', 'head:sequence-classifier', 'objective:classification', 'optimizer:adamw']);
  t.is(trainerFor(FT).plugins.filter((p) => methodKinds.has(p.meta.kind)).length, 0, 'the recipe as written is full fine-tuning');
  const lora = pluginsOf('lora').find((p) => p.meta.name === 'adapter:lora') as LoraAdapter;
  t.deepEqual(lora.options.target, [...GPT_LORA_TARGETS]);
  t.deepEqual([lora.options.rank, lora.options.alpha, lora.options.dropout], [2, 4, 0.1], 'rank, alpha and dropout set through finetune.method.*');
  t.deepEqual(lora.options.alsoTrain, ['head.**']);
  t.is((pluginsOf('adapters').find((p) => p.meta.name === 'adapter:bottleneck') as BottleneckAdapter).options.size, 4);
  t.deepEqual((pluginsOf('bitfit').find((p) => p.meta.name === 'freezing:freeze') as ParamFreezing).options, { pattern: ['**.bias', '**.beta', 'head.**'], exceptHead: false, invert: true });
  t.true((pluginsOf('linear-probe').find((p) => p.meta.name === 'freezing:freeze') as ParamFreezing).options.exceptHead);
  t.is((pluginsOf('layerwise-lr').find((p) => p.meta.name === 'lr-groups:layerwise-decay') as LayerwiseDecayLrGroups).options.decay, 0.8);
  // The method's plugin runs last, in the method slot; its options are keys of that slot.
  t.is(pluginsOf('lora').at(-1)!.meta.name, 'adapter:lora');
  const keys = (method: FinetuneMethod) => recipeKeys(configure(FT, { set: { 'finetune.method': method } })).filter((k) => k.slot === 'method').map((k) => k.key);
  t.deepEqual(keys('full'), []);
  t.true(['finetune.method.rank', 'finetune.method.alpha', 'finetune.method.dropout'].every((k) => keys('lora').includes(k)));
  t.true(keys('layerwise-lr').includes('finetune.method.decay'));
  t.throws(() => configure(FT, { set: { 'finetune.method.rank': 2 } }), { message: /unknown configuration key "finetune.method.rank"/ }, 'LoRA keys exist once LoRA is chosen');
  t.throws(() => configure(FT, { set: { 'finetune.method': 'prefix' } }), { message: /finetune.method.*expected one of full, lora, bitfit, linear-probe, adapters, layerwise-lr/ });
});

test('layerwise-lr on the tiny GPT: the optimizer gets the decayed rates, head at the base rate', async (t) => {
  const tr = trainerFor(configure(FT, { set: { 'finetune.method': 'layerwise-lr', 'finetune.method.decay': 0.5 } }));
  await tr.setup();
  // embeddings, block 0, block 1, final LayerNorm, head: 0.01 · 0.5^4, 0.5^3, 0.5^2, 0.5, 1
  t.deepEqual((tr.role('optimizer') as AdamwOptimizer).groupRates(), { group0: 0.000625, group1: 0.00125, group2: 0.0025, group3: 0.005, group4: 0.01 });
  tr.dispose();
});

test('the LoRA count is rank · (in + out) per matrix: loraParameterCount agrees', async (t) => {
  const tr = trainerFor(configure(FT, { set: { 'finetune.method': 'lora', ...SETTINGS.lora } }));
  await tr.setup();
  const shapes = Array.from({ length: L }, () => [[D, 3 * D], [D, D], [D, H], [H, D]] as [number, number][]).flat();
  t.is(trainableCount(tr.params, 'adapter.lora.**'), loraParameterCount(shapes, 2));
  t.is(trainableCount(tr.params, 'head.**'), HEAD);
  tr.dispose();
});

test('FINETUNE_METHODS is data: one plugin class per method (none for full), and the recipe keeps it through its data form', (t) => {
  t.deepEqual(Object.keys(FINETUNE_METHODS), [...FINETUNE_METHOD_NAMES]);
  t.is(FINETUNE_METHODS.full, null);
  t.is(FINETUNE_METHODS.lora!.plugin, LoraAdapter);
  t.is(FINETUNE_METHODS.adapters!.plugin, BottleneckAdapter);
  t.is(FINETUNE_METHODS['layerwise-lr']!.plugin, LayerwiseDecayLrGroups);
  const lora = configure(FT, { set: { 'finetune.method': 'lora', ...SETTINGS.lora } });
  const data = recipeToData(lora);
  t.deepEqual(data.stages[0]!.use.at(-1), { plugin: 'adapter:lora', options: { ...FINETUNE_METHODS.lora!.options, rank: 2, alpha: 4, dropout: 0.1 }, slot: 'method' });
  t.deepEqual(recipeToData(FT).stages[0]!.use.at(-1), { slot: 'method' });
  const registry = { find: (name: string) => (name === 'dataset:seq-toy' ? SeqToy : builtinRegistry.find(name)), has: () => true, extra: [SeqToy] };
  t.deepEqual(recipeToData(recipeFromData(data, registry)), data);
  t.deepEqual(recipeToData(recipeFromData(recipeToData(FT), registry)), recipeToData(FT));
});
