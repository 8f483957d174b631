/**
 * Every option of every plugin of every preset, and every trainer option, is reachable by
 * `--set`: the keys are generated from the plugins' schemas (nothing listed here), each is set
 * from text to a valid value (its default where it has one), and the plugin the stage builds
 * receives that value.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parseOptionValue, silentLogger, type OptionSpec } from '../../core/index.ts';
import { configure, createStageTrainer, isRecipe, placeholderContext, PRESETS, recipeKeys, stageSpecs, type ConfigKey, type Recipe } from '../../presets/index.ts';

const RECIPES = Object.values(PRESETS).filter(isRecipe);
// Keys of each preset at least (a floor, so a preset that lost its keys fails).
const MIN_KEYS: Record<string, number> = { 'gpt-next-token-pretrain': 65, 'bert-mlm-pretrain': 65, 'ulmfit-3-stage': 200, 'transfer-vs-scratch': 200, 'finetune-methods': 190, 'gpt-finetune': 100, 'word-vectors': 40, 'instruction-tune': 120, 'embeddings-transfer': 150 };

test.before(async () => {
  await tf.setBackend('cpu');
});

/** Texts a key may be set to, most natural first: its value in the recipe or its default, else values of its type. */
function candidates(k: ConfigKey): string[] {
  const text = (v: unknown): string =>
    Array.isArray(v) && k.spec.type !== 'any' ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const out = k.value !== undefined ? [text(k.value)] : [];
  const spec: OptionSpec = k.spec;
  switch (spec.type) {
    case 'integer':
    case 'number':
      out.push(String(spec.min ?? 0), String((spec.min ?? 0) + 1), '1000');
      break;
    case 'string':
      out.push('x.json', 'tokenizer.json');
      break;
    case 'boolean':
      out.push('true', 'false');
      break;
    case 'enum':
      out.push(...spec.values);
      break;
    case 'number[]':
      out.push('', '1,1');
      break;
    case 'any':
      out.push('', '{"from":"encoder.","to":"backbone."}', 'npm:spam-assassin');
      break;
    default:
      out.push('');
  }
  return out;
}

/** The value a stage's plugin in `k`'s slot (or its trainer options) has for `k`'s option, as built. */
function builtValue(r: Recipe, k: ConfigKey): unknown {
  const specs = stageSpecs(r);
  const spec = specs.find((s) => s.name === k.stage)!;
  if (k.slot === 'trainer') return (spec.options(placeholderContext(specs)) as Record<string, unknown>)[k.option];
  const trainer = createStageTrainer(spec, placeholderContext(specs), { logger: silentLogger() });
  try {
    const at = spec.slots!.indexOf(k.slot);
    return (trainer.plugins[at]!.options as Record<string, unknown>)[k.option];
  } finally {
    trainer.dispose();
  }
}

test('every preset is a recipe', (t) => {
  t.deepEqual(RECIPES.map((r) => r.name).sort(), Object.keys(PRESETS).sort());
});

for (const r of RECIPES) test(`every key of ${r.name} is reachable by --set: the built plugin receives the value`, (t) => {
  const keys = recipeKeys(r);
  const unreachable: string[] = [];
  const notes: string[] = [];
  for (const k of keys) {
    let reached = false;
    for (const text of candidates(k)) {
      const expected = parseOptionValue(k.owner, k.key, k.spec, text);
      // Options that exclude one another (warmupFraction with the recipe's warmupSteps): the
      // recipe's values of the plugin's other options are unset one at a time (`null`) until it builds.
      const others = keys.filter((o) => o.stage === k.stage && o.slot === k.slot && o.key !== k.key && o.given && o.slot !== 'trainer');
      for (const unset of [undefined, ...others]) {
        const set: Record<string, unknown> = { [k.key]: text, ...(unset ? { [unset.key]: 'null' } : {}) };
        let got: unknown;
        try {
          got = builtValue(configure(r, { set }), k);
        } catch {
          continue;
        }
        if (JSON.stringify(got) === JSON.stringify(expected)) {
          reached = true;
          if (unset) notes.push(`${k.key}=${text} with ${unset.key}=null`);
          break;
        }
      }
      if (reached) break;
    }
    if (!reached) unreachable.push(k.key);
  }
  t.deepEqual(unreachable, [], `keys whose value never reached the plugin: ${unreachable.join(', ')}`);
  t.true(keys.length >= MIN_KEYS[r.name]!, `${keys.length} keys`);
  t.log(`${keys.length} keys reachable (${Object.keys(r.aliases).length} aliases besides); ${notes.join('; ') || 'none needed another unset'}`);
});

for (const r of RECIPES) test(`every alias of ${r.name} sets all its targets`, (t) => {
  const keys = new Map(recipeKeys(r).map((k) => [k.key, k]));
  for (const [name, a] of Object.entries(r.aliases)) {
    if (a.kind !== 'value') continue;
    const first = keys.get(a.targets[0]!)!;
    const text = candidates(first).find((c) => {
      try {
        return a.targets.every((tk) => JSON.stringify(builtValue(configure(r, { set: { [name]: c } }), keys.get(tk)!)) === JSON.stringify(parseOptionValue('', '', first.spec, c)));
      } catch {
        return false;
      }
    });
    t.truthy(text, `${name} reaches ${a.targets.join(', ')}`);
  }
});
