import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { ErrorCodes, GraftError } from '../../core/index.ts';
import { gptPretrainPreset, loadRecipeFile, recipeToData } from '../../presets/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-recipe-file-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** Validation losses by step, from a stage's metrics.jsonl. */
function losses(stageDir: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const line of readFileSync(path.join(stageDir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line);
    if (r.type === 'eval') out[r.step] = r.validation_loss;
  }
  return out;
}

const TINY = `# A tiny GPT, as a recipe file.
name: tiny-gpt
description: A one-block GPT on the first 20,000 characters of Moby Dick
stages:
  - name: pretrain
    description: next-token pre-training
    trainer: { epochs: 100, maxSteps: 6 }
    use:
      - plugin: dataset:text-corpus
        options: { sources: [npm:moby-dick], maxChars: 20000, seqLen: 16, batchSize: 4, maxValidationBatches: 2 }
      - plugin: tokenizer:char
      - plugin: model:gpt
        options: { contextLength: 16, nLayers: 1, dModel: 16, nHeads: 2 }
      - { plugin: head:lm }
      - { plugin: objective:next-token }
      - plugin: optimizer:adamw
        options: { lr: 0.003 }
      - plugin: scheduler:warmup-cosine
        options: { warmupSteps: 2 }
      - plugin: callback:evaluate
        options: { every: 3 }
aliases:
  lr: pretrain.optimizer.lr
`;

test.serial('a recipe file runs; its config.json is the resolved recipe and re-runs to the same losses', async (t) => {
  const recipe = file('tiny.yaml', TINY);
  const a = path.join(dir, 'run-a');
  const c = capture();
  t.is(await main(['run', recipe, '--quiet', '--seed', '7', '--set', 'lr=0.004', '--out', a], c.io), 0, c.err.join('\n'));
  const first = losses(path.join(a, 'pretrain'));
  t.deepEqual(Object.keys(first).map(Number), [3, 6]);
  const config = JSON.parse(readFileSync(path.join(a, 'config.json'), 'utf8'));
  t.is(config.preset, 'tiny-gpt');
  t.is(config.seed, 7);
  t.deepEqual(config.settings, { set: { lr: '0.004' }, use: {} });
  t.is(config.recipe.stages[0].use[5].options.lr, 0.004, 'the value set is in the recorded recipe');
  // The run folder's config.json, run again elsewhere: the recorded seed and recipe, the same numbers.
  const b = path.join(dir, 'run-b');
  const d = capture();
  t.is(await main(['run', path.join(a, 'config.json'), '--quiet', '--out', b], d.io), 0, d.err.join('\n'));
  t.deepEqual(losses(path.join(b, 'pretrain')), first);
  const again = JSON.parse(readFileSync(path.join(b, 'config.json'), 'utf8'));
  t.deepEqual(again.recipe, config.recipe);
  t.is(again.seed, 7);
  // graft resume of the folder: complete, skipped.
  const r = capture();
  t.is(await main(['resume', a], r.io), 0, r.err.join('\n'));
  t.regex(r.out.join('\n'), /already complete, skipped/);
});

test('the same recipe as JSON reads to the same recipe; the GPT preset written out reads back', async (t) => {
  const yaml = await loadRecipeFile(file('same.yaml', TINY));
  const json = await loadRecipeFile(file('same.json', JSON.stringify(recipeToData(yaml.recipe), null, 2)));
  t.deepEqual(recipeToData(json.recipe), recipeToData(yaml.recipe));
  const gpt = await loadRecipeFile(file('gpt.json', JSON.stringify(recipeToData(gptPretrainPreset))));
  t.deepEqual(recipeToData(gpt.recipe), recipeToData(gptPretrainPreset));
});

/** [what, file name, text, message] — each a CONFIG error naming the file, the line and the key. */
const BAD: [string, string, string, RegExp][] = [
  ['an unknown plugin', 'unknown-plugin.yaml', TINY.replace('plugin: optimizer:adamw', 'plugin: optimizer:adam'), /option "stages\[0\]\.use\[5\]\.plugin", .*unknown-plugin\.yaml:16: unknown plugin "optimizer:adam"; expected one of optimizer:adamw, optimizer:sgd/],
  ['an unknown option', 'unknown-option.yaml', TINY.replace('options: { lr: 0.003 }', 'options: { lr: 0.003, betas: [0.9, 0.95] }'), /option "stages\[0\]\.use\[5\]\.options\.betas", .*unknown-option\.yaml:17: unknown key "betas"; expected one of lr, beta1, beta2, eps, weightDecay, groups/],
  ['a value of the wrong type', 'wrong-type.yaml', TINY.replace('nLayers: 1', 'nLayers: one'), /plugin "model:gpt", option "stages\[0\]\.use\[2\]\.options\.nLayers", .*wrong-type\.yaml:13: invalid value; expected a finite integer, got "one"/],
  ['a trainer option of the wrong type', 'trainer.yaml', TINY.replace('maxSteps: 6', 'maxSteps: -6'), /option "stages\[0\]\.trainer\.maxSteps", .*trainer\.yaml:7: invalid value; expected a integer >= 0, got -6/],
  ['bad YAML syntax', 'syntax.yaml', TINY.replace('options: { warmupSteps: 2 }', 'options: { warmupSteps: 2'), /syntax\.yaml:2\d: not valid YAML: .*; expected a recipe in YAML/],
  ['bad JSON syntax', 'syntax.json', '{\n  "name": "x",\n  "stages": [\n    { "name": "a", "use": [ }\n  ]\n}\n', /syntax\.json:4: not valid JSON: /],
  ['a hand-over from a later stage', 'later.yaml', TINY.replace('- plugin: tokenizer:char', '- plugin: tokenizer:char\n        options: { from: { $ref: checkpoint, stage: pretrain } }'), /option "stages\[0\]\.use\[1\]\.options\.from\.stage", .*later\.yaml:12: the checkpoint of stage "pretrain" is not handed on before this stage; expected an earlier stage/],
  ['an unknown top-level key', 'top.yaml', `${TINY}stagez: []\n`, /option "stagez", .*top\.yaml:24: unknown key "stagez"; expected one of name, description, packages, aliases, stages, experiment. Did you mean stages/],
  ['an alias to no key', 'alias.yaml', TINY.replace('lr: pretrain.optimizer.lr', 'lr: pretrain.optimizer.learningRate'), /option "lr", .*alias\.yaml:23: alias "lr" points to "pretrain.optimizer.learningRate", which is not a key of the recipe/],
];

for (const [what, name, text, re] of BAD) {
  test(`a recipe file with ${what} exits 2 naming the file, line and key, and writes nothing`, async (t) => {
    const f = file(name, text);
    const e = await t.throwsAsync(() => loadRecipeFile(f), { instanceOf: GraftError });
    t.is(e.code, ErrorCodes.CONFIG);
    t.regex(e.message, re);
    const out = path.join(dir, `out-${name}`);
    const c = capture();
    t.is(await main(['run', f, '--out', out], c.io), 2);
    t.regex(c.err.join('\n'), re);
    t.false(existsSync(out));
  });
}

test('a missing recipe file is a usage error', async (t) => {
  const c = capture();
  t.is(await main(['run', path.join(dir, 'nope.yaml')], c.io), 2);
  t.regex(c.err.join('\n'), /nope\.yaml: no such recipe file/);
});

test('plugins from a package named in the file: imported, registered by their meta name, usable and described', async (t) => {
  const pkg = path.join(dir, 'pkg');
  file('pkg/node_modules/graft-plugin-hello/package.json', JSON.stringify({ name: 'graft-plugin-hello', type: 'module', exports: { '.': { default: './index.js' } } }));
  file(
    'pkg/node_modules/graft-plugin-hello/index.js',
    `export class HelloCallback {
  static meta = { name: 'callback:hello', kind: 'callback', description: 'says hello before the run' };
  static options = { greeting: { type: 'string', default: 'hello', doc: 'What to say.' } };
  meta = HelloCallback.meta;
  constructor(options = {}) { this.options = { greeting: options.greeting ?? 'hello' }; }
  apply(trainer) { trainer.tap('beforeRun', this, () => trainer.logger.info(this.options.greeting)); }
}
export const notAPlugin = 1;
`,
  );
  const withPkg = TINY.replace('name: tiny-gpt', 'name: tiny-gpt\npackages: [graft-plugin-hello]').replace(
    '      - plugin: callback:evaluate',
    '      - plugin: callback:hello\n        options: { greeting: ahoy }\n      - plugin: callback:evaluate',
  );
  const f = file('pkg/recipe.yaml', withPkg);
  const loaded = await loadRecipeFile(f);
  t.is(loaded.recipe.stages[0]!.uses[7]!.plugin.meta.name, 'callback:hello');
  const c = capture();
  t.is(await main(['describe', f, '--set', 'pretrain.hello.greeting=hi'], c.io), 0, c.err.join('\n'));
  const text = c.out.join('\n');
  t.regex(text, /pretrain\.hello\.greeting\s+"hi"/);
  t.regex(text, /beforeRun\n(.*\n)*? {2}default {4}callback:hello/);
  // Unknown options of a package plugin are found from its schema too, with the line.
  const bad = file('pkg/bad.yaml', withPkg.replace('greeting: ahoy', 'greting: ahoy'));
  await t.throwsAsync(() => loadRecipeFile(bad), { message: /bad\.yaml:2\d: unknown key "greting"; expected one of greeting/ });
  // A package that cannot be imported names itself, the file and the packages line.
  const missing = file('pkg/missing.yaml', withPkg.replace('[graft-plugin-hello]', '[graft-plugin-nope]'));
  await t.throwsAsync(() => loadRecipeFile(missing), { message: /missing\.yaml:3: package "graft-plugin-nope" is not installed where the recipe is \(.*pkg\) or where Graft is. npm install graft-plugin-nope next to the recipe/ });
  t.truthy(pkg);
});
