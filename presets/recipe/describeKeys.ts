import type { OptionSpec } from '../../core/index.ts';
import { recipeKeys } from './keys.ts';
import { isOptionsRef } from './optionsRef.ts';
import { isHandOver } from './refs.ts';
import { splitSlot, type Recipe } from './recipe.ts';
import { effectiveUses, slotsOf } from './stage.ts';
import { isEmptySlot } from './use.ts';

/** One row of `graft describe`: a key, its value in the recipe (or the owner's default), its type, and what it means. */
export interface KeyRow {
  key: string;
  type: string;
  value: string;
  doc: string;
}

/** A value as a short literal: JSON, hand-overs as `checkpointOf(stage)`, unset as `-`. */
function literal(v: unknown): string {
  if (v === undefined) return '-';
  if (isHandOver(v)) return `${v.$ref}Of(${v.stage})`;
  if (isOptionsRef(v)) return `optionsOf(${v.stage}.${v.slot})`;
  return JSON.stringify(v);
}

function typeOf(spec: OptionSpec): string {
  return spec.type === 'enum' ? spec.values.join('|') : spec.type;
}

/** The aliases of the recipe, with the value they would set now and the keys they set. */
export function aliasRows(r: Recipe): KeyRow[] {
  const keys = new Map(recipeKeys(r).map((k) => [k.key, k]));
  return Object.entries(r.aliases).flatMap(([key, a]): KeyRow[] => {
    if (a.kind === 'choice') {
      const [stageName, slot] = splitSlot(a.slot);
      const s = r.stages.find((x) => x.name === stageName)!;
      const now = effectiveUses(s)[slotsOf(s).indexOf(slot)]!.plugin;
      const current = Object.entries(a.choices).find(([, u]) => u.plugin === now)?.[0];
      const doc = a.doc ?? `The plugin of ${a.slot}`;
      return [{ key, type: Object.keys(a.choices).join('|'), value: current === undefined ? `(${now.meta.name})` : JSON.stringify(current), doc: `${doc} (sets ${a.slot}: ${Object.entries(a.choices).map(([c, u]) => `${c} = ${isEmptySlot(u) ? 'no plugin' : u.plugin.meta.name}`).join(', ')})` }];
    }
    const targets = a.targets.map((t) => keys.get(t));
    const first = targets[0];
    // An alias whose target a swap removed sets nothing now.
    if (!first || targets.some((t) => t === undefined)) return [];
    return [{ key, type: typeOf(first.spec), value: literal(first.value), doc: `${a.doc ?? first.spec.doc} (sets ${a.targets.join(', ')})` }];
  });
}

/** Every key of the recipe (`<stage>.<slot>.<option>`), from the plugins' own schemas. */
export function keyRows(r: Recipe): KeyRow[] {
  return recipeKeys(r).map((k) => ({ key: k.key, type: typeOf(k.spec), value: literal(k.value), doc: `${k.spec.doc}${k.slot !== 'trainer' ? ` [${k.owner}]` : ''}` }));
}

/** Rows as aligned text. */
export function formatRows(rows: readonly KeyRow[]): string {
  const w = (f: (r: KeyRow) => string, min: number, max: number) => Math.min(max, Math.max(min, ...rows.map((r) => f(r).length)));
  const [wk, wv, wt] = [w((r) => r.key, 8, 44), w((r) => r.value, 6, 28), w((r) => r.type, 6, 18)];
  return rows.map((r) => `  ${r.key.padEnd(wk)} ${r.value.padEnd(wv)} ${r.type.padEnd(wt)} ${r.doc}`.trimEnd()).join('\n');
}

/** The experiment's own keys (`sizes`, `seeds`), with the value the recipe gives or the default. */
export function experimentRows(r: Recipe): KeyRow[] {
  const e = r.experiment;
  if (!e) return [];
  return Object.entries(e.experiment.options).map(([key, spec]) => ({
    key,
    type: typeOf(spec),
    value: literal(Object.hasOwn(e.values, key) ? e.values[key] : spec.default),
    doc: spec.doc,
  }));
}

/** What `graft describe` prints about a recipe's configuration: the experiment's keys, the aliases, then every key. */
export function describeRecipeKeys(r: Recipe): string {
  const aliases = aliasRows(r);
  const parts: string[] = [];
  if (r.experiment) parts.push(`experiment ${r.experiment.experiment.name} (its own keys):\n${formatRows(experimentRows(r))}`);
  if (aliases.length) parts.push(`aliases (short keys):\n${formatRows(aliases)}`);
  parts.push(`keys (<stage>.<slot>.<option>, from each plugin's schema; --set any of them, --use <stage>.<slot>=<plugin> swaps a plugin):\n${formatRows(keyRows(r))}`);
  return parts.join('\n\n');
}
