import { checkValue, clip, ErrorCodes, GraftError, TRAINER_OPTIONS, type ErrorDetails, type OptionSpec, type PluginClass } from '../../core/index.ts';
import { recipeKeys } from './keys.ts';
import { findExperiment } from './experiment.ts';
import { isOptionsRef, optionsOf } from './optionsRef.ts';
import { alias, choice, recipe, suggestKeys, type Alias, type Recipe } from './recipe.ts';
import { HAND_OVER_KINDS, isHandOver, type HandOverKind } from './refs.ts';
import { builtinRegistry, type PluginRegistry } from './registry.ts';
import { effectiveUses, slotsOf, stage, type RecipeStage } from './stage.ts';
import { emptySlot, isEmptySlot, type Use } from './use.ts';

/**
 * A plugin of a stage in a recipe file: `{ plugin: optimizer:adamw, options: { lr: 0.003 } }`; a
 * slot without a plugin is an empty slot (`{ slot: method }`, see `emptySlot`).
 */
export interface UseData {
  plugin?: string;
  options?: Record<string, unknown>;
  slot?: string;
}

export interface StageData {
  name: string;
  description?: string;
  trainer?: Record<string, unknown>;
  use: UseData[];
}

/** A choice's value `null` chooses no plugin (an empty slot). */
export type AliasData = string | string[] | { targets: string | string[]; doc?: string } | { slot: string; choices: Record<string, UseData | null>; doc?: string };

/**
 * A recipe as data: what a recipe file holds (YAML or JSON) and what a run's `config.json` records
 * under `recipe`. Plugins by catalog name (or the name a package's class declares), hand-overs as
 * `{ $ref: checkpoint, stage: pretrain }`.
 */
export interface RecipeData {
  name: string;
  description?: string;
  /** Packages to import; their exported plugin classes are known by their meta names. */
  packages?: string[];
  aliases?: Record<string, AliasData>;
  stages: StageData[];
  /** An experiment over the stages, by name, with the values given to its keys. */
  experiment?: { name: string; options?: Record<string, unknown> };
}

const useData = (u: Use, slot?: string): UseData => ({
  ...(isEmptySlot(u) ? {} : { plugin: u.plugin.meta.name }),
  ...(Object.keys(u.options).length ? { options: structuredClone(u.options) as Record<string, unknown> } : {}),
  ...(slot !== undefined ? { slot } : {}),
});

/**
 * The recipe as data, resolved: every part swapped in stands in its slot (with the options it was
 * given), so the data runs the same stages without any `--use`. Aliases whose targets the swaps
 * removed are left out.
 */
export function recipeToData(r: Recipe): RecipeData {
  const stages = r.stages.map((s): StageData => {
    const slots = slotsOf(s);
    const uses = effectiveUses(s);
    // A slot keeps its name in the data when the plugin now in it would be given another.
    const derived = slotsOf({ uses: uses.map((u) => ({ plugin: u.plugin, options: u.options })) });
    return {
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
      ...(Object.keys(s.trainer).length ? { trainer: { ...s.trainer } as Record<string, unknown> } : {}),
      use: uses.map((u, i) => useData(u, u.slot !== undefined || derived[i] !== slots[i] || isEmptySlot(u) ? slots[i] : undefined)),
    };
  });
  const keys = new Set(recipeKeys(r).map((k) => k.key));
  const aliases: Record<string, AliasData> = {};
  for (const [k, a] of Object.entries(r.aliases)) {
    if (a.kind === 'value') {
      if (!a.targets.every((t) => keys.has(t))) continue;
      aliases[k] = a.doc === undefined ? (a.targets.length === 1 ? a.targets[0]! : [...a.targets]) : { targets: [...a.targets], doc: a.doc };
    } else {
      aliases[k] = { slot: a.slot, choices: Object.fromEntries(Object.entries(a.choices).map(([v, u]) => [v, isEmptySlot(u) ? null : useData(u)])), ...(a.doc !== undefined ? { doc: a.doc } : {}) };
    }
  }
  return {
    name: r.name,
    ...(r.description ? { description: r.description } : {}),
    ...(r.packages.length ? { packages: [...r.packages] } : {}),
    ...(Object.keys(aliases).length ? { aliases } : {}),
    stages,
    ...(r.experiment
      ? { experiment: { name: r.experiment.experiment.name, ...(Object.keys(r.experiment.values).length ? { options: structuredClone(r.experiment.values) as Record<string, unknown> } : {}) } }
      : {}),
  };
}

/** Where a value of the data is written (a recipe file's line), for error messages. */
export type Locate = (path: readonly (string | number)[], at?: 'key' | 'value') => { file?: string; line?: number };

type Path = (string | number)[];

/** `['stages', 0, 'use', 2, 'options', 'lr']` → `stages[0].use[2].options.lr`. */
export function pathText(p: readonly (string | number)[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * A recipe from data (a recipe file, a run's `config.json`), checked as it is read: every key is
 * known (top level, stages, plugins, their options, trainer options), every plugin name resolves
 * in `registry`, every option value has its owner's type, hand-overs name an earlier stage, and
 * the whole passes `recipe()`'s checks. Each problem is a CONFIG error naming the place in the
 * data (`stages[0].use[2].options.lr`), the file and line when `locate` knows them, and what was
 * expected.
 */
export function recipeFromData(data: unknown, registry: PluginRegistry = builtinRegistry, locate: Locate = () => ({})): Recipe {
  const fail = (p: Path, message: string, d: ErrorDetails = {}, at: 'key' | 'value' = 'value'): never => {
    throw new GraftError(ErrorCodes.CONFIG, message, { option: p.length ? pathText(p) : undefined, ...locate(p, at), ...d });
  };
  const mapping = (v: unknown, p: Path, allowed: readonly string[], required: readonly string[] = []): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'not a mapping', { expected: `a mapping with ${allowed.join(', ')}`, received: v });
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) fail([...p, k], `unknown key "${clip(k)}"`, { expected: `one of ${allowed.join(', ')}`, hint: suggestKeys(k, allowed) }, 'key');
    }
    for (const k of required) if (o[k] === undefined) fail(p, `"${k}" is missing`, { expected: `a mapping with ${required.join(', ')}` });
    return o;
  };
  const string = (v: unknown, p: Path, what = 'a string'): string => {
    if (typeof v !== 'string' || v === '') fail(p, 'invalid value', { expected: `${what} (non-empty)`, received: v });
    return v as string;
  };
  const list = (v: unknown, p: Path, what: string): unknown[] => {
    if (!Array.isArray(v)) fail(p, 'not a list', { expected: what, received: v });
    return v as unknown[];
  };

  const top = mapping(data, [], ['name', 'description', 'packages', 'aliases', 'stages', 'experiment'], ['name', 'stages']);
  const name = string(top.name, ['name'], 'a name');
  const description = top.description === undefined ? '' : string(top.description, ['description']);
  const packages = top.packages === undefined ? [] : list(top.packages, ['packages'], 'a list of package names').map((x, i) => string(x, ['packages', i], 'a package name'));
  const stageNames: string[] = [];

  const readUse = (v: unknown, p: Path, earlier: readonly string[], empty = false): Use => {
    // An empty slot: `{ slot: method }` in a stage (`null` in a choice).
    if (empty && typeof v === 'object' && v !== null && !Array.isArray(v) && 'slot' in v && Object.keys(v).length === 1) {
      return emptySlot(string((v as { slot: unknown }).slot, [...p, 'slot'], 'a slot name'));
    }
    const o = mapping(v, p, ['plugin', 'options', 'slot'], ['plugin']);
    const pluginName = string(o.plugin, [...p, 'plugin'], 'a plugin name, kind:name');
    let cls: PluginClass;
    try {
      cls = registry.find(pluginName);
    } catch (e) {
      if (e instanceof GraftError) throw e.withCode(ErrorCodes.CONFIG, { option: pathText([...p, 'plugin']), ...locate([...p, 'plugin']) });
      throw e;
    }
    const options = o.options === undefined ? {} : mapping(o.options, [...p, 'options'], Object.keys(cls.options).length ? Object.keys(cls.options) : ['(no options)']);
    const checked: Record<string, unknown> = {};
    for (const [k, value] of Object.entries(options)) {
      const at = [...p, 'options', k];
      const spec = cls.options[k]!;
      if (isOptionsRef(value)) {
        const o = mapping(value, at, ['$ref', 'stage', 'slot'], ['$ref', 'stage', 'slot']);
        if (spec.type !== 'any') fail(at, 'invalid value', { expected: `a ${spec.type} (an options reference fits options of type any only)`, received: value });
        checked[k] = optionsOf(string(o.stage, [...at, 'stage'], 'a stage name'), string(o.slot, [...at, 'slot'], 'a slot name'));
        continue;
      }
      if (isHandOver(value)) {
        checked[k] = readHandOver(value, at, spec, earlier);
        continue;
      }
      try {
        checked[k] = checkValue(cls.meta.name, k, spec, value);
      } catch (e) {
        if (e instanceof GraftError) throw e.withCode(ErrorCodes.CONFIG, { option: pathText(at), ...locate(at) });
        throw e;
      }
    }
    const slot = o.slot === undefined ? undefined : string(o.slot, [...p, 'slot'], 'a slot name');
    return { plugin: cls, options: checked, ...(slot !== undefined ? { slot } : {}) };
  };
  const readHandOver = (ref: object, at: Path, spec: OptionSpec, earlier: readonly string[]) => {
    const value = mapping(ref, at, ['$ref', 'stage'], ['$ref', 'stage']);
    if (!HAND_OVER_KINDS.includes(value.$ref as never)) fail([...at, '$ref'], `unknown hand-over "${clip(String(value.$ref))}"`, { expected: HAND_OVER_KINDS.join(' or ') });
    const from = string(value.stage, [...at, 'stage'], 'a stage name');
    if (!earlier.includes(from)) fail([...at, 'stage'], `the ${value.$ref} of stage "${clip(from)}" is not handed on before this stage`, { expected: earlier.length ? `one of ${earlier.join(', ')}` : 'an earlier stage (this is the first)' });
    if (spec.type !== 'string') fail(at, 'invalid value', { expected: `a ${spec.type} (a hand-over is a folder: string options only)`, received: value });
    return { $ref: value.$ref as HandOverKind, stage: from };
  };

  const stages = list(top.stages, ['stages'], 'a list of stages').map((v, i): RecipeStage => {
    const p: Path = ['stages', i];
    const o = mapping(v, p, ['name', 'description', 'trainer', 'use'], ['name', 'use']);
    const stageName = string(o.name, [...p, 'name'], 'a stage name');
    const trainer = o.trainer === undefined ? {} : mapping(o.trainer, [...p, 'trainer'], Object.keys(TRAINER_OPTIONS));
    for (const [k, value] of Object.entries(trainer)) {
      try {
        checkValue('trainer', k, TRAINER_OPTIONS[k as keyof typeof TRAINER_OPTIONS] as OptionSpec, value);
      } catch (e) {
        if (e instanceof GraftError) throw e.withCode(ErrorCodes.CONFIG, { option: pathText([...p, 'trainer', k]), ...locate([...p, 'trainer', k]) });
        throw e;
      }
    }
    const uses = list(o.use, [...p, 'use'], 'a list of plugins ({ plugin, options }, or { slot } for an empty slot)').map((u, j) => readUse(u, [...p, 'use', j], stageNames, true));
    stageNames.push(stageName);
    return stage(stageName, o.description === undefined ? '' : string(o.description, [...p, 'description']), uses, trainer);
  });

  const aliases: Record<string, Alias> = {};
  const rawAliases = top.aliases === undefined ? {} : mapping(top.aliases, ['aliases'], Object.keys(top.aliases ?? {}));
  for (const [k, v] of Object.entries(rawAliases)) {
    const p: Path = ['aliases', k];
    if (typeof v === 'string' || Array.isArray(v)) {
      aliases[k] = alias(typeof v === 'string' ? string(v, p, 'a key') : list(v, p, 'keys').map((t, j) => string(t, [...p, j], 'a key')));
    } else if (typeof v === 'object' && v !== null && 'choices' in v) {
      const o = mapping(v, p, ['slot', 'choices', 'doc'], ['slot', 'choices']);
      const choices = mapping(o.choices, [...p, 'choices'], Object.keys(o.choices ?? {}));
      aliases[k] = choice(
        string(o.slot, [...p, 'slot'], '<stage>.<slot>'),
        Object.fromEntries(Object.entries(choices).map(([c, u]) => [c, u === null ? null : readUse(u, [...p, 'choices', c], [])])),
        o.doc === undefined ? undefined : string(o.doc, [...p, 'doc']),
      );
    } else {
      const o = mapping(v, p, ['targets', 'doc'], ['targets']);
      const targets = typeof o.targets === 'string' ? [string(o.targets, [...p, 'targets'], 'a key')] : list(o.targets, [...p, 'targets'], 'keys').map((t, j) => string(t, [...p, 'targets', j], 'a key'));
      aliases[k] = alias(targets, o.doc === undefined ? undefined : string(o.doc, [...p, 'doc']));
    }
  }
  let experiment: Recipe['experiment'];
  if (top.experiment !== undefined) {
    const o = mapping(top.experiment, ['experiment'], ['name', 'options'], ['name']);
    const p: Path = ['experiment', 'name'];
    let found;
    try {
      found = findExperiment(string(o.name, p, 'an experiment name'));
    } catch (e) {
      if (e instanceof GraftError) throw e.withCode(ErrorCodes.CONFIG, { option: pathText(p), ...locate(p) });
      throw e;
    }
    const values = o.options === undefined ? {} : mapping(o.options, ['experiment', 'options'], Object.keys(found.options));
    for (const [k, value] of Object.entries(values)) {
      const at: Path = ['experiment', 'options', k];
      try {
        checkValue(`experiment ${found.name}`, k, found.options[k] as OptionSpec, value);
      } catch (e) {
        if (e instanceof GraftError) throw e.withCode(ErrorCodes.CONFIG, { option: pathText(at), ...locate(at) });
        throw e;
      }
    }
    experiment = { experiment: found, values };
  }
  try {
    return recipe({ name, description, stages, aliases, packages, ...(experiment ? { experiment } : {}) });
  } catch (e) {
    if (!(e instanceof GraftError)) throw e;
    // recipe()'s checks name an alias or a stage: point at it.
    const option = e.details.option;
    const p: Path = option !== undefined && Object.hasOwn(aliases, option) ? ['aliases', option] : ['stages'];
    throw e.withCode(ErrorCodes.CONFIG, { ...locate(p, 'key'), option: option ?? pathText(p) });
  }
}
