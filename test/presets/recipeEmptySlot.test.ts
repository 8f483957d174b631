import test from 'ava';
import { ErrorCodes, GraftError, silentLogger } from '../../core/index.ts';
import { TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { ParamFreezing } from '../../plugins/freezing/index.ts';
import { LmHead } from '../../plugins/heads/index.ts';
import { LayerwiseDecayLrGroups } from '../../plugins/lr-groups/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../plugins/optimizers/index.ts';
import { CharTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import {
  aliasRows,
  choice,
  configure,
  createStageTrainer,
  EmptySlot,
  emptySlot,
  isEmptySlot,
  placeholderContext,
  recipe,
  recipeFromData,
  recipeKeys,
  recipeToData,
  stage,
  toStageSpec,
  use,
  type Recipe,
  type Use,
} from '../../presets/index.ts';

// Empty slots: a stage's slot with no plugin (`emptySlot`), and choices of "no plugin" (`null`)
// or of plugins of several kinds in a slot that fills no role (`finetune.method`).

const base = (method: Use) =>
  stage('tune', 'a stage with a method slot', [
    use(TextCorpusDataset, { sources: ['npm:moby-dick'] }),
    use(CharTokenizerPlugin),
    use(GptModel, { nLayers: 1, dModel: 8, nHeads: 2, contextLength: 8 }),
    use(LmHead),
    use(NextTokenObjective),
    use(AdamwOptimizer),
    method,
  ]);

const METHOD = choice('tune.method', {
  full: null,
  probe: use(ParamFreezing, { exceptHead: true }),
  decay: use(LayerwiseDecayLrGroups, { decay: 0.5 }),
}, 'What learns');

const make = (method: Use): Recipe => recipe({ name: 'slots', description: '', stages: [base(method)], aliases: { method: METHOD } });

/** The plugin names a stage runs, built as the runner builds them. */
function built(r: Recipe): string[] {
  const spec = toStageSpec(r.stages[0]!, r);
  const trainer = createStageTrainer(spec, placeholderContext([spec]), { logger: silentLogger() });
  const names = trainer.plugins.map((p) => p.meta.name);
  trainer.dispose();
  return names;
}

const ROLES = ['dataset:text-corpus', 'tokenizer:char', 'model:gpt', 'head:lm', 'objective:next-token', 'optimizer:adamw'];

test('an empty slot builds no plugin and has no keys; a choice fills it with a plugin of any kind that fills no role', (t) => {
  const r = make(emptySlot('method'));
  t.deepEqual(built(r), ROLES);
  t.deepEqual(toStageSpec(r.stages[0]!).slots, ['dataset', 'tokenizer', 'model', 'head', 'objective', 'optimizer']);
  t.false(recipeKeys(r).some((k) => k.slot === 'method'));
  const probe = configure(r, { set: { method: 'probe' } });
  t.deepEqual(built(probe), [...ROLES, 'freezing:freeze']);
  t.true(recipeKeys(probe).find((k) => k.key === 'tune.method.exceptHead')!.value as boolean);
  const decay = configure(r, { set: { method: 'decay', 'tune.method.decay': 0.7 } });
  t.deepEqual(built(decay), [...ROLES, 'lr-groups:layerwise-decay']);
  t.is(recipeKeys(decay).find((k) => k.key === 'tune.method.decay')!.value, 0.7);
  // Nothing to rebind in the container: the chosen plugin is built in the slot.
  t.is(toStageSpec(decay.stages[0]!).modules!(placeholderContext([])).length, 0);
  t.deepEqual(built(configure(r, { set: { method: 'full' } })), ROLES);
});

test('a choice of null empties a filled slot; --use fills an empty slot with a plugin that fills no role', (t) => {
  const r = make(use(ParamFreezing, { exceptHead: true }, { slot: 'method' }));
  t.deepEqual(built(r), [...ROLES, 'freezing:freeze']);
  const full = configure(r, { set: { method: 'full' } });
  t.true(isEmptySlot(full.stages[0]!.swaps.method!));
  t.deepEqual(built(full), ROLES);
  t.false(recipeKeys(full).some((k) => k.slot === 'method'), "the emptied slot's keys are gone");
  t.throws(() => configure(r, { set: { method: 'full', 'tune.method.exceptHead': false } }), { message: /unknown configuration key "tune.method.exceptHead"/ });

  const empty = make(emptySlot('method'));
  t.deepEqual(built(configure(empty, { use: { 'tune.method': 'lr-groups:discriminative' } })), [...ROLES, 'lr-groups:discriminative']);
  t.throws(() => configure(empty, { use: { 'tune.method': 'optimizer:sgd' } }), { message: /slot tune.method is empty; optimizer:sgd fills the role optimizer/ });
  // A slot that is not empty keeps its kind for --use.
  t.throws(() => configure(r, { use: { 'tune.method': 'lr-groups:discriminative' } }), { message: /slot tune.method holds a freezing/ });
});

test('choices and empty slots are checked when the recipe is made', (t) => {
  const err = (f: () => unknown, message: RegExp) => {
    const e = t.throws(f, { instanceOf: GraftError, message });
    t.is(e!.code, ErrorCodes.CONFIG);
  };
  // A role's slot holds that role: no other kind, and not nothing.
  const stages = [base(emptySlot('method'))];
  err(() => recipe({ name: 'r', description: '', stages, aliases: { opt: choice('tune.optimizer', { none: null, sgd: use(SgdOptimizer) }) } }), /alias "opt": choice "none" is no plugin, not a optimizer/);
  err(() => recipe({ name: 'r', description: '', stages, aliases: { opt: choice('tune.optimizer', { probe: use(ParamFreezing, { exceptHead: true }) }) } }), /choice "probe" is freezing:freeze, not a optimizer/);
  // A slot that fills no role takes no role's plugin.
  err(() => recipe({ name: 'r', description: '', stages, aliases: { m: choice('tune.method', { sgd: use(SgdOptimizer) }) } }), /choice "sgd" is optimizer:sgd, not a plugin of a kind that fills no role/);
  err(() => recipe({ name: 'r', description: '', stages: [base({ plugin: EmptySlot, options: {} })] }), /stage "tune" has an empty slot without a name/);
  const e = t.throws(() => new EmptySlot(), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.INTERNAL);
});

test('describe shows the chosen value, "no plugin" for null', (t) => {
  const r = make(emptySlot('method'));
  const row = (x: Recipe) => aliasRows(x).find((a) => a.key === 'method')!;
  t.is(row(r).value, '"full"');
  t.is(row(r).type, 'full|probe|decay');
  t.regex(row(r).doc, /What learns \(sets tune.method: full = no plugin, probe = freezing:freeze, decay = lr-groups:layerwise-decay\)/);
  t.is(row(configure(r, { set: { method: 'decay' } })).value, '"decay"');
});

test('as data: an empty slot is { slot }, a choice of no plugin is null; both read back', (t) => {
  const r = make(emptySlot('method'));
  const data = recipeToData(r);
  t.deepEqual(data.stages[0]!.use.at(-1), { slot: 'method' });
  t.deepEqual((data.aliases!.method as { choices: Record<string, unknown> }).choices.full, null);
  t.deepEqual(recipeToData(recipeFromData(data)), data);
  const chosen = recipeToData(configure(r, { set: { method: 'probe' } }));
  t.deepEqual(chosen.stages[0]!.use.at(-1), { plugin: 'freezing:freeze', options: { exceptHead: true }, slot: 'method' });
  t.deepEqual(recipeToData(recipeFromData(chosen)), chosen);
  // A filled slot emptied by a choice is written as the empty slot it now is.
  const emptied = recipeToData(configure(make(use(ParamFreezing, { exceptHead: true }, { slot: 'method' })), { set: { method: 'full' } }));
  t.deepEqual(emptied.stages[0]!.use.at(-1), { slot: 'method' });
  // A slot with options but no plugin is not an empty slot: the plugin is missing.
  const broken = structuredClone(data);
  broken.stages[0]!.use[6] = { slot: 'method', options: {} };
  t.throws(() => recipeFromData(broken), { message: /stages\[0\]\.use\[6\].*"plugin" is missing/ });
});
