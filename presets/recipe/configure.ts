import { checkValue, clip, ErrorCodes, GraftError, parseOptionValue, SINGLETON_KINDS, type OptionSpec } from '../../core/index.ts';
import { recipeKeys, TRAINER_SLOT, type ConfigKey } from './keys.ts';
import { allSlots, checkStageHandOvers, splitSlot, suggestKeys, type Recipe } from './recipe.ts';
import { checkOptionsRefs } from './optionsRef.ts';
import { isHandOver } from './refs.ts';
import { builtinRegistry, type PluginRegistry } from './registry.ts';
import { effectiveUses, slotsOf, type RecipeStage } from './stage.ts';
import { isEmptySlot, use as useOf, type Use } from './use.ts';

/** What `configure` changes in a recipe. */
export interface Settings {
  /**
   * Values by key: a derived key (`pretrain.optimizer.beta1`) or an alias (`train.lr`). A string is
   * parsed with the target option's spec, as `--set` text is; other values are checked against it;
   * `null` (or the text `null`) removes the recipe's value, so the owner's default applies.
   */
  set?: Readonly<Record<string, unknown>>;
  /** The plugin of a slot, by `<stage>.<slot>`: a plugin name (`scheduler:constant`) or a `use(...)`. */
  use?: Readonly<Record<string, string | Use>>;
}

/**
 * The recipe with `settings` applied: each `use` swaps a slot's plugin (the new plugin starts
 * from its own defaults; its options are then keys like any other), each `set` value lands in the
 * option it names. Unknown keys and slots, a swap to a plugin of another kind, and one option set
 * through two keys (an alias and its target) are CONFIG errors naming the key. Values are parsed
 * and type-checked here with their owner's spec; the owner's constructor checks the rest when the
 * stage is built (`validateRecipe`).
 */
export function configure(r: Recipe, settings: Settings = {}, registry: PluginRegistry = builtinRegistry): Recipe {
  // `chosen`: by a choice alias, whose plugins the recipe declared for the slot (checkRecipe checked their kinds).
  const swaps = new Map<string, { use: Use | undefined; by: string; chosen: boolean }>();
  const swap = (slotKey: string, u: Use | undefined, by: string, chosen = false) => {
    const before = swaps.get(slotKey);
    if (before) {
      throw new GraftError(ErrorCodes.CONFIG, `the plugin of ${slotKey} is chosen twice: by ${before.by} and by ${by}`, { option: slotKey, expected: 'one choice per slot' });
    }
    swaps.set(slotKey, { use: u, by, chosen });
  };
  for (const [slotKey, p] of Object.entries(settings.use ?? {})) {
    const u = typeof p === 'string' ? useOf(registry.find(p)) : p;
    swap(slotKey, u, `--use ${slotKey}=${u.plugin.meta.name}`);
  }
  const values: [string, unknown][] = [];
  for (const [key, value] of Object.entries(settings.set ?? {})) {
    const a = Object.hasOwn(r.aliases, key) ? r.aliases[key] : undefined;
    if (a?.kind !== 'choice') {
      values.push([key, value]);
      continue;
    }
    const names = Object.keys(a.choices);
    if (typeof value !== 'string' || !Object.hasOwn(a.choices, value)) {
      throw new GraftError(ErrorCodes.CONFIG, 'invalid value', { option: key, expected: `one of ${names.join(', ')}`, received: value });
    }
    const [stageName, slot] = splitSlot(a.slot);
    const s = r.stages.find((x) => x.name === stageName)!;
    const chosen = a.choices[value]!;
    // The recipe's own plugin keeps the recipe's options; another one is swapped in with the choice's.
    const own = s.uses[slotsOf(s).indexOf(slot)]!.plugin === chosen.plugin;
    swap(a.slot, own ? undefined : chosen, `${key}=${value}`, true);
  }

  const copies = r.stages.map((s) => ({ ...s, uses: [...s.uses], swaps: { ...s.swaps } as Record<string, Use> }));
  for (const [slotKey, { use: u, chosen }] of swaps) {
    const [stageName, slot] = splitSlot(slotKey);
    const s = copies.find((x) => x.name === stageName);
    const slots = s ? slotsOf(s) : [];
    const at = slots.indexOf(slot);
    if (!s || at < 0) {
      throw new GraftError(ErrorCodes.CONFIG, `"${clip(slotKey)}" is not a slot of ${r.name}`, {
        option: slotKey,
        expected: `<stage>.<slot>, one of ${allSlots(r).join(', ')}`,
        hint: suggestKeys(slotKey, allSlots(r)),
      });
    }
    const current = s.uses[at]!.plugin;
    if (u === undefined) {
      delete s.swaps[slot];
      continue;
    }
    // An empty slot takes any plugin that fills no role.
    const empty = isEmptySlot(s.uses[at]!);
    if (empty && !chosen && SINGLETON_KINDS.has(u.plugin.meta.kind)) {
      throw new GraftError(ErrorCodes.CONFIG, `slot ${slotKey} is empty; ${u.plugin.meta.name} fills the role ${u.plugin.meta.kind}, which has a slot of its own`, {
        option: slotKey,
        expected: 'a plugin of a kind that fills no role',
      });
    }
    if (!empty && !chosen && u.plugin.meta.kind !== current.meta.kind) {
      throw new GraftError(ErrorCodes.CONFIG, `slot ${slotKey} holds a ${current.meta.kind} (${current.meta.name}); ${u.plugin.meta.name} is a ${u.plugin.meta.kind}`, {
        option: slotKey,
        expected: `a ${current.meta.kind} plugin`,
      });
    }
    s.swaps[slot] = { plugin: u.plugin, options: { ...u.options } };
  }

  let stages: RecipeStage[] = copies;
  const keys = new Map(recipeKeys({ stages }).map((k) => [k.key, k]));
  const touched = new Map<string, string>();
  const exp = r.experiment;
  const expValues: Record<string, unknown> = { ...exp?.values };
  for (const [key, value] of values) {
    const spec = exp && Object.hasOwn(exp.experiment.options, key) ? (exp.experiment.options[key] as OptionSpec) : undefined;
    if (spec) {
      const owner = `experiment ${exp!.experiment.name}`;
      const v = parseValue({ key, stage: '', slot: '', option: key, spec, owner, given: true, value: undefined }, key, value);
      if (v === undefined) delete expValues[key];
      else expValues[key] = v;
      continue;
    }
    for (const target of targetsOf(r, key, keys)) {
      const before = touched.get(target.key);
      if (before !== undefined) {
        throw new GraftError(ErrorCodes.CONFIG, before === key ? `${key} is set twice` : `${target.key} is set twice: by ${before} and by ${key}`, {
          option: key,
          expected: 'each option set once (an alias sets its targets)',
        });
      }
      touched.set(target.key, key);
      const v = parseValue(target, key, value);
      stages = stages.map((s) => (s.name === target.stage ? setOption(s, target, v) : s));
    }
  }
  for (const [i, s] of stages.entries()) checkStageHandOvers(s, new Set(stages.slice(0, i).map((x) => x.name)));
  checkOptionsRefs(stages);
  return { ...r, stages, ...(exp ? { experiment: { experiment: exp.experiment, values: expValues } } : {}) };
}

/**
 * `override(recipe, 'classifier', use(WarmupCosineScheduler, { warmupSteps: 10 }))`: the stage's
 * plugin of the same kind (or of `use(..., { slot })`) replaced, as `--use` does.
 */
export function override(r: Recipe, stageName: string, u: Use): Recipe {
  const s = r.stages.find((x) => x.name === stageName);
  if (!s) throw new GraftError(ErrorCodes.CONFIG, `recipe ${r.name} has no stage "${clip(stageName)}"`, { expected: `one of ${r.stages.map((x) => x.name).join(', ')}` });
  let slot = u.slot;
  if (slot === undefined) {
    const slots = slotsOf(s);
    const same = effectiveUses(s).flatMap((x, i) => (x.plugin.meta.kind === u.plugin.meta.kind ? [slots[i]!] : []));
    if (same.length !== 1) {
      throw new GraftError(ErrorCodes.CONFIG, `stage ${stageName} has ${same.length ? `${same.length} slots` : 'no slot'} of kind ${u.plugin.meta.kind}${same.length ? ` (${same.join(', ')})` : ''}`, {
        expected: 'exactly one, or the slot named: use(Plugin, options, { slot })',
      });
    }
    slot = same[0]!;
  }
  return configure(r, { use: { [`${stageName}.${slot}`]: { plugin: u.plugin, options: u.options } } });
}

/** The derived keys an alias or key sets. */
function targetsOf(r: Recipe, key: string, keys: ReadonlyMap<string, ConfigKey>): ConfigKey[] {
  const direct = keys.get(key);
  if (direct) return [direct];
  const a = Object.hasOwn(r.aliases, key) ? r.aliases[key] : undefined;
  if (a?.kind === 'value') {
    return a.targets.map((t) => {
      const k = keys.get(t);
      if (!k) {
        const [stageName, rest] = splitSlot(t);
        const [slot] = splitSlot(rest);
        throw new GraftError(ErrorCodes.CONFIG, `${key} sets ${t}, which the plugin now in ${stageName}.${slot} does not have`, {
          option: key,
          hint: `Set the options of the plugin swapped in directly (graft describe ${r.name} --use ... lists its keys)`,
        });
      }
      return k;
    });
  }
  const aliases = [...Object.keys(r.experiment?.experiment.options ?? {}), ...Object.keys(r.aliases)];
  throw new GraftError(ErrorCodes.CONFIG, `unknown configuration key "${clip(key)}" for "${r.name}"`, {
    expected: `${aliases.length ? `one of ${aliases.join(', ')}, or ` : ''}a key <stage>.<slot>.<option> (graft describe ${r.name} lists them all)`,
    hint: suggestKeys(key, [...aliases, ...keys.keys()]),
  });
}

/** A value for `target` given through `key`: text parsed as `--set` text is, other values checked; null removes it. */
function parseValue(target: ConfigKey, key: string, value: unknown): unknown {
  if (value === null || value === 'null') return undefined;
  if (isHandOver(value)) {
    if (target.spec.type !== 'string') throw new GraftError(ErrorCodes.CONFIG, 'invalid value', { plugin: target.owner, option: key, expected: `a ${target.spec.type} (a hand-over is a folder: string options only)`, received: value });
    return value;
  }
  if (typeof value === 'string') return parseOptionValue(target.owner, key, target.spec, value);
  try {
    return checkValue(target.owner, key, target.spec as OptionSpec, value);
  } catch (e) {
    if (e instanceof GraftError) throw e.withCode(ErrorCodes.CONFIG);
    throw e;
  }
}

function setOption(s: RecipeStage, target: ConfigKey, v: unknown): RecipeStage {
  const put = (o: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    const next = { ...o };
    if (v === undefined) delete next[target.option];
    else next[target.option] = v;
    return next;
  };
  if (target.slot === TRAINER_SLOT) return { ...s, trainer: put(s.trainer) };
  if (Object.hasOwn(s.swaps, target.slot)) {
    const u = s.swaps[target.slot]!;
    return { ...s, swaps: { ...s.swaps, [target.slot]: { ...u, options: put(u.options) } } };
  }
  const at = slotsOf(s).indexOf(target.slot);
  return { ...s, uses: s.uses.map((u, i) => (i === at ? { ...u, options: put(u.options) } : u)) };
}

/** `--set` texts as a map; a key given twice is a CONFIG error (the last one winning would run something unread). */
export function parseSets(texts: readonly string[]): Record<string, string> {
  return pairs(texts, 'set', 'key=value, e.g. train.lr=3e-4', (key, before, text) => {
    throw new GraftError(ErrorCodes.CONFIG, `--set ${key} is given twice`, { option: key, expected: 'each key once', received: [before, text] });
  });
}

/** `--use <stage>.<slot>=<kind>:<name>` texts as a map; a slot given twice is a CONFIG error. */
export function parseUses(texts: readonly string[]): Record<string, string> {
  return pairs(texts, 'use', '<stage>.<slot>=<kind>:<name>, e.g. pretrain.scheduler=scheduler:constant', (key, before, text) => {
    throw new GraftError(ErrorCodes.CONFIG, `--use ${key} is given twice`, { option: key, expected: 'each slot once', received: [before, text] });
  });
}

function pairs(texts: readonly string[], flag: string, expected: string, twice: (key: string, before: string, text: string) => never): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of texts) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new GraftError(ErrorCodes.USAGE, `--${flag} needs key=value`, { received: s, expected });
    const key = s.slice(0, eq);
    const text = s.slice(eq + 1);
    if (Object.hasOwn(out, key)) twice(key, out[key]!, text);
    out[key] = text;
  }
  return out;
}
