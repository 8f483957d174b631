/**
 * Every built-in plugin is a `PluginClass`: its metadata and option schema are statics, readable
 * without constructing it. For each class of the catalog: the instance's `meta` is the static one,
 * and the static `options` is the schema the constructor validates against (an unknown option
 * fails naming the plugin and listing exactly the schema's keys; each key given its default is
 * accepted and changes nothing).
 */
import test from 'ava';
import { ErrorCodes, GraftError, isPluginClass, kindOf, type GraftPlugin } from '../../core/index.ts';
import { findPluginClass, PLUGIN_CLASSES, pluginCatalog } from '../../plugins/index.ts';
import { AdamwOptimizer, ConstantScheduler, WarmupCosineScheduler } from '../../plugins/index.ts';

/** Options a plugin cannot be built without (nothing is read: constructors only validate). */
const REQUIRED: Record<string, Record<string, unknown>> = {
  'dataset:text-corpus': { sources: ['npm:moby-dick'] },
  'dataset:labelled-text': { source: 'npm:spam-assassin' },
  'dataset:instructions': { source: 'train.jsonl' },
  'dataset:token-shards': { dir: 'shards' },
  'freezing:freeze': { pattern: 'backbone.**' },
  'init:from-checkpoint': { path: 'CHECKPOINT' },
  'init:pretrained-embeddings': { source: 'vectors.txt' },
};

test('the catalog holds every built-in plugin class, with unique, well-formed names', (t) => {
  t.true(PLUGIN_CLASSES.length >= 36);
  const names = PLUGIN_CLASSES.map((c) => c.meta.name);
  t.is(new Set(names).size, names.length);
  for (const c of PLUGIN_CLASSES) {
    t.true(isPluginClass(c), c.name);
    t.regex(c.meta.name, /^[a-z][a-z0-9-]*:[a-z0-9][a-z0-9-.]*$/);
    t.is(kindOf(c.meta.name), c.meta.kind, c.meta.name);
    t.truthy(c.meta.description, `${c.meta.name} has a description`);
    for (const [key, spec] of Object.entries(c.options)) t.truthy(spec.doc, `${c.meta.name} option ${key} has a doc`);
  }
  t.false(isPluginClass({ meta: { name: 'x:y', kind: 'x' }, options: {} }), 'an object is not a class');
  t.false(isPluginClass(class {}), 'a class without statics is not a plugin class');
});

for (const Cls of PLUGIN_CLASSES) {
  const name = Cls.meta.name;
  const base = REQUIRED[name] ?? {};
  const make = (o: Record<string, unknown>): GraftPlugin => new Cls(o);

  test(`${name}: the instance's meta is the static one, and the static options is its schema`, (t) => {
    const plugin = make(base);
    t.is(plugin.meta, Cls.meta, 'instance meta is the static object');
    t.deepEqual(Object.keys(plugin.options ?? {}).sort(), Object.keys(Cls.options).sort(), 'resolved options have the schema keys');

    const e = t.throws(() => make({ ...base, notAnOption: 1 }), { instanceOf: GraftError });
    t.is(e.code, ErrorCodes.BAD_OPTION);
    t.is(e.details.plugin, name);
    t.is(e.details.option, 'notAnOption');
    t.is(e.details.expected, `one of ${Object.keys(Cls.options).join(', ') || '(no options)'}`, 'the constructor validates against the static schema');

    for (const [key, spec] of Object.entries(Cls.options)) {
      if (spec.default === undefined || key in base) continue;
      const explicit = make({ ...base, [key]: spec.default });
      t.deepEqual(explicit.options, plugin.options, `${key} given its default (${JSON.stringify(spec.default)}) is accepted and changes nothing`);
    }
  });
}

test('pluginCatalog() lists name, kind and description from the statics, sorted by name', (t) => {
  const entries = pluginCatalog();
  t.is(entries.length, PLUGIN_CLASSES.length);
  t.deepEqual(
    entries.map((e) => e.name),
    PLUGIN_CLASSES.map((c) => c.meta.name).sort((a, b) => a.localeCompare(b)),
  );
  t.deepEqual(entries.find((e) => e.name === 'optimizer:adamw'), {
    name: 'optimizer:adamw',
    kind: 'optimizer',
    description: AdamwOptimizer.meta.description,
  });
  for (const e of entries) t.deepEqual(Object.keys(e).sort(), ['description', 'kind', 'name']);
});

test('findPluginClass returns the class of a name', (t) => {
  t.is(findPluginClass('scheduler:warmup-cosine'), WarmupCosineScheduler);
  t.is(findPluginClass('scheduler:constant'), ConstantScheduler);
  for (const c of PLUGIN_CLASSES) t.is(findPluginClass(c.meta.name), c);
});

test('findPluginClass: an unknown name is a CONFIG error naming it and the known plugins of its kind', (t) => {
  const e = t.throws(() => findPluginClass('scheduler:cosine'), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.CONFIG);
  t.true(e.isUsageError);
  t.regex(e.message, /unknown plugin "scheduler:cosine"/);
  t.is(
    e.details.expected,
    'one of scheduler:constant, scheduler:one-cycle, scheduler:slanted-triangular, scheduler:warmup-cosine, scheduler:warmup-linear',
  );

  const kind = t.throws(() => findPluginClass('optimizers:adamw'), { instanceOf: GraftError });
  t.is(kind.code, ErrorCodes.CONFIG);
  t.regex(kind.details.expected ?? '', /with a kind among .*optimizer.*scheduler/);
  t.is(kind.details.hint, 'Did you mean optimizer:adamw?');

  const bare = t.throws(() => findPluginClass('adamw'), { instanceOf: GraftError });
  t.is(bare.details.hint, 'Did you mean optimizer:adamw?');
});
