import { clip, ErrorCodes, GraftError, SINGLETON_KINDS } from '../../core/index.ts';
import { recipeKeys, TRAINER_SLOT, type ConfigKey } from './keys.ts';
import type { Experiment, ExperimentUse } from './experiment.ts';
import { checkOptionsRefs } from './optionsRef.ts';
import { HAND_OVER_KINDS, handOversIn } from './refs.ts';
import { effectiveUses, slotsOf, type RecipeStage } from './stage.ts';
import { EmptySlot, isEmptySlot, type Use } from './use.ts';

/** A short key that sets one or more derived keys to one value (`model.contextLength` → the model's and the dataset's). */
export interface ValueAlias {
  readonly kind: 'value';
  readonly targets: readonly string[];
  /** Default: the first target's doc. */
  readonly doc?: string;
}

/**
 * A short key whose values name a plugin for one slot (`tokenizer.type=byte-bpe`): setting it
 * swaps the slot's plugin, as `--use <stage>.<slot>=<plugin>` does, with the options given here.
 * A slot that is not a role's may be given plugins of several kinds, and no plugin (an empty
 * slot, `EmptySlot`): `finetune.method` chooses LoRA, a freezing, learning-rate groups or nothing.
 */
export interface ChoiceAlias {
  readonly kind: 'choice';
  /** `<stage>.<slot>`. */
  readonly slot: string;
  /** By value: the plugin, or an empty slot (`isEmptySlot`) for "no plugin". */
  readonly choices: Readonly<Record<string, Use>>;
  readonly doc?: string;
}

export type Alias = ValueAlias | ChoiceAlias;

/**
 * A recipe: named stages of plugins with their options, handing on checkpoints by reference, and
 * a few short keys (aliases) for the options people change most. Every option of every plugin is
 * a configuration key derived from the plugin's schema (`recipeKeys`); `configure` sets them.
 */
export interface Recipe {
  readonly name: string;
  readonly description: string;
  readonly stages: readonly RecipeStage[];
  readonly aliases: Readonly<Record<string, Alias>>;
  /** Packages whose exported plugin classes the recipe uses (recipe files; imported before it is read). */
  readonly packages: readonly string[];
  /** A grid of runs over the stages (its keys, e.g. `sizes`, are keys of the recipe); without one, the stages run once in order. */
  readonly experiment?: ExperimentUse;
}

/** `alias(['pretrain.model.contextLength', 'pretrain.dataset.seqLen'], 'Context length')`. */
export function alias(targets: string | readonly string[], doc?: string): ValueAlias {
  return { kind: 'value', targets: typeof targets === 'string' ? [targets] : [...targets], ...(doc !== undefined ? { doc } : {}) };
}

/**
 * `choice('pretrain.tokenizer', { char: use(CharTokenizerPlugin), 'byte-bpe': use(ByteBpeTokenizerPlugin, { vocabSize: 1024 }) })`;
 * `null` chooses no plugin (`choice('tune.method', { full: null, lora: use(LoraAdapter) })`).
 */
export function choice(slot: string, choices: Readonly<Record<string, Use | null>>, doc?: string): ChoiceAlias {
  const uses = Object.fromEntries(Object.entries(choices).map(([k, u]) => [k, u ?? { plugin: EmptySlot, options: {} }]));
  return { kind: 'choice', slot, choices: uses, ...(doc !== undefined ? { doc } : {}) };
}

export interface RecipeInput {
  name: string;
  description: string;
  stages: readonly RecipeStage[];
  /** A key → one target key, several, or an `alias(...)` / `choice(...)`. */
  aliases?: Readonly<Record<string, string | readonly string[] | Alias>>;
  packages?: readonly string[];
  /** An experiment over the stages, with values for its keys (default: its schema's defaults). */
  experiment?: Experiment | ExperimentUse;
}

/** Make a recipe, checking its shape (see `checkRecipe`). */
export function recipe(input: RecipeInput): Recipe {
  const aliases: Record<string, Alias> = {};
  for (const [k, a] of Object.entries(input.aliases ?? {})) {
    aliases[k] = typeof a === 'string' || Array.isArray(a) ? alias(a as string | string[]) : (a as Alias);
  }
  const e = input.experiment;
  const experiment = e === undefined ? undefined : 'experiment' in e ? e : { experiment: e, values: {} };
  const r: Recipe = { name: input.name, description: input.description, stages: [...input.stages], aliases, packages: [...(input.packages ?? [])], ...(experiment ? { experiment } : {}) };
  checkRecipe(r);
  return r;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function bad(message: string, details: { option?: string; expected?: string; received?: unknown; hint?: string } = {}): GraftError {
  return new GraftError(ErrorCodes.CONFIG, message, details);
}

/**
 * The checks a recipe passes when it is made (and after `configure`): stage and slot names are
 * unique and usable in keys; a role's slot is its kind; hand-overs name an earlier stage; every
 * alias target is a key of the recipe, and an alias's targets share one type; a choice's slot
 * exists and its plugins are of the slot's kind. Option values are not checked here: their
 * owners do that when the stages are built (`validateRecipe`).
 */
export function checkRecipe(r: Recipe): void {
  if (!r.name) throw bad('a recipe needs a name');
  const seen = new Set<string>();
  for (const s of r.stages) {
    if (!NAME.test(s.name)) throw bad(`stage name "${clip(s.name)}" cannot be used in keys`, { expected: 'letters, digits, - and _ (no dots)' });
    if (seen.has(s.name)) throw bad(`stage "${s.name}" is listed twice`, { expected: 'unique stage names' });
    checkStage(s, seen);
    seen.add(s.name);
  }
  if (r.stages.length === 0) throw bad(`recipe "${r.name}" has no stage`);
  checkOptionsRefs(r.stages);
  const keys = new Map(recipeKeys(r).map((k) => [k.key, k]));
  for (const key of Object.keys(r.experiment?.experiment.options ?? {})) {
    if (keys.has(key) || Object.hasOwn(r.aliases, key)) {
      throw bad(`experiment ${r.experiment!.experiment.name}'s key "${key}" is also ${keys.has(key) ? 'a key' : 'an alias'} of the recipe`, { option: key, expected: 'experiment keys of their own' });
    }
  }
  for (const [key, a] of Object.entries(r.aliases)) {
    if (keys.has(key)) throw bad(`alias "${key}" is also a key of the recipe`, { option: key, expected: 'an alias that no stage, slot and option spell' });
    if (a.kind === 'value') {
      if (a.targets.length === 0) throw bad(`alias "${key}" has no target`, { option: key });
      const targets = a.targets.map((t) => {
        const k = keys.get(t);
        if (!k) throw bad(`alias "${key}" points to "${clip(t)}", which is not a key of the recipe`, { option: key, hint: suggestKeys(t, [...keys.keys()]) });
        return k;
      });
      const types = new Set(targets.map((k) => k.spec.type));
      if (types.size > 1) throw bad(`alias "${key}" points to options of different types (${[...types].join(', ')})`, { option: key });
    } else {
      const [stageName, slot] = splitSlot(a.slot);
      const s = r.stages.find((x) => x.name === stageName);
      const at = s ? slotsOf(s).indexOf(slot) : -1;
      if (!s || at < 0) throw bad(`alias "${key}" chooses the plugin of "${clip(a.slot)}", which is not a slot of the recipe`, { option: key, expected: `<stage>.<slot>, one of ${allSlots(r).join(', ')}` });
      const kind = effectiveUses(s)[at]!.plugin.meta.kind;
      for (const [value, u] of Object.entries(a.choices)) {
        // A role's slot holds that role; another slot any plugin that fills no role, or none.
        const fits = SINGLETON_KINDS.has(kind) ? u.plugin.meta.kind === kind : !SINGLETON_KINDS.has(u.plugin.meta.kind);
        if (!fits) throw bad(`alias "${key}": choice "${value}" is ${isEmptySlot(u) ? 'no plugin' : u.plugin.meta.name}, not ${SINGLETON_KINDS.has(kind) ? `a ${kind}` : 'a plugin of a kind that fills no role'}`, { option: key });
      }
      if (Object.keys(a.choices).length === 0) throw bad(`alias "${key}" has no choice`, { option: key });
    }
  }
}

function checkStage(s: RecipeStage, earlier: ReadonlySet<string>): void {
  const slots = slotsOf(s);
  s.uses.forEach((u, i) => {
    const slot = slots[i]!;
    const kind = u.plugin.meta.kind;
    if (isEmptySlot(u) && u.slot === undefined) throw bad(`stage "${s.name}" has an empty slot without a name`, { expected: "emptySlot('<name>')" });
    if (u.slot !== undefined) {
      if (!NAME.test(u.slot) || u.slot === TRAINER_SLOT) {
        throw bad(`slot name "${clip(u.slot)}" of ${u.plugin.meta.name} cannot be used in keys`, { expected: `letters, digits, - and _, not "${TRAINER_SLOT}"` });
      }
      if (SINGLETON_KINDS.has(kind) && u.slot !== kind) {
        throw bad(`${u.plugin.meta.name} fills the role ${kind}: its slot is "${kind}", not "${u.slot}"`, { hint: 'Name slots only for kinds that are not roles' });
      }
    }
    if (slots.indexOf(slot) !== i) {
      throw bad(`stage "${s.name}" has two plugins in slot "${slot}" (${s.uses[slots.indexOf(slot)]!.plugin.meta.name} and ${u.plugin.meta.name})`, {
        hint: `Give one of them a slot of its own: use(${u.plugin.name}, options, { slot: '...' })`,
      });
    }
  });
  checkStageHandOvers(s, earlier);
}

/** Every hand-over of the stage's plugins (swapped ones included) names a known kind and a stage in `earlier`. */
export function checkStageHandOvers(s: RecipeStage, earlier: ReadonlySet<string>): void {
  for (const u of [...s.uses, ...Object.values(s.swaps)]) {
    for (const { ref, path } of handOversIn(u.options)) {
      if (!HAND_OVER_KINDS.includes(ref.$ref)) {
        throw bad(`${u.plugin.meta.name} option ${path} refers to an unknown kind of hand-over "${clip(String(ref.$ref))}"`, { expected: HAND_OVER_KINDS.join(' or ') });
      }
      if (!earlier.has(ref.stage)) {
        throw bad(`stage "${s.name}": ${u.plugin.meta.name} option ${path} takes the ${ref.$ref} of stage "${clip(String(ref.stage))}", which does not run before it`, {
          expected: earlier.size ? `one of ${[...earlier].join(', ')}` : 'an earlier stage (this is the first)',
        });
      }
    }
  }
}

/** `'pretrain.tokenizer'` → `['pretrain', 'tokenizer']`. */
export function splitSlot(s: string): [string, string] {
  const dot = s.indexOf('.');
  return dot < 0 ? [s, ''] : [s.slice(0, dot), s.slice(dot + 1)];
}

/** Every `<stage>.<slot>` of the recipe. */
export function allSlots(r: Pick<Recipe, 'stages'>): string[] {
  return r.stages.flatMap((s) => slotsOf(s).map((slot) => `${s.name}.${slot}`));
}

/** "Did you mean ...?" for a key: keys ending in the same option, or a few edits away. */
export function suggestKeys(key: string, keys: readonly string[]): string | undefined {
  if (key.length > 200) return undefined;
  const lower = key.toLowerCase();
  const tail = lower.split('.').pop()!;
  const scored = keys
    .map((k) => {
      const kl = k.toLowerCase();
      const ktail = kl.split('.').pop()!;
      const d = Math.min(editDistance(lower, kl), tail ? editDistance(tail, ktail) + 1 : Infinity);
      // The same last part, or one that starts with what was typed (`sched` for `scheduler`).
      const close = tail && (ktail === tail || (tail.length >= 3 && ktail.startsWith(tail)));
      return { k, d: close ? 0 : d };
    })
    .filter((x) => x.d <= Math.max(2, Math.floor(tail.length / 3)))
    .sort((a, b) => a.d - b.d || a.k.length - b.k.length);
  return scored.length ? `Did you mean ${scored.slice(0, 3).map((x) => x.k).join(' or ')}?` : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 10) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export type { ConfigKey };
