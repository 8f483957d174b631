import type { ServiceIdentifier } from 'inversify';
import { SINGLETON_KINDS, type GraftPlugin } from '../plugin/Plugin.ts';

/**
 * Every plugin of a recipe is bound to a slot token of its own, named after its place in the
 * recipe: the kind for a plugin alone of its kind (`optimizer`, `scheduler`, `checkpoint`), its
 * short name otherwise (`grad-clip`, `evaluate`, `f1`). Replacing a part is rebinding its slot
 * (`container.rebind(slotToken('scheduler'))`, inversify 8's synchronous rebind); the order of the recipe is kept in
 * `TOKENS.Slots`, so a replaced part runs where the original did.
 */
export function slotToken(slot: string): ServiceIdentifier<GraftPlugin> {
  return Symbol.for(`graft.slot.${slot}`);
}

/** Slot names for a recipe's plugins, in order; unique (a repeated name gets `#2`, `#3`). */
export function slotNames(plugins: readonly GraftPlugin[]): string[] {
  const kinds = new Map<string, number>();
  for (const p of plugins) kinds.set(p.meta?.kind, (kinds.get(p.meta?.kind) ?? 0) + 1);
  const taken = new Set<string>();
  return plugins.map((p) => {
    const kind = String(p.meta?.kind);
    const short = String(p.meta?.name ?? kind).slice(kind.length + 1) || kind;
    let slot = SINGLETON_KINDS.has(kind) || kinds.get(kind) === 1 ? kind : short;
    // Two plugins in one slot is an error validatePlugins reports with both names; keep them apart until then.
    for (let i = 2; taken.has(slot); i++) slot = `${slot.replace(/#\d+$/, '')}#${i}`;
    taken.add(slot);
    return slot;
  });
}

/**
 * Plugins in recipe order, moved only as far as their declared `dependsOn` requires (a stable
 * topological sort: a plugin comes after the plugins it depends on, otherwise where it was listed).
 */
export function orderByDependencies(plugins: readonly GraftPlugin[]): GraftPlugin[] {
  const matches = (ref: string, p: GraftPlugin): boolean =>
    ref.endsWith(':*') ? p.meta.kind === ref.slice(0, -2) : ref.includes(':') ? p.meta.name === ref : p.meta.kind === ref;
  const deps = plugins.map((p) =>
    new Set(plugins.flatMap((q, j) => (q !== p && (p.meta?.dependsOn ?? []).some((r) => matches(r, q)) ? [j] : []))));
  const done = new Set<number>();
  const out: GraftPlugin[] = [];
  while (out.length < plugins.length) {
    const next = plugins.findIndex((_, i) => !done.has(i) && [...deps[i]!].every((j) => done.has(j)));
    // A dependency cycle: keep the rest in recipe order (validatePlugins reports missing ones).
    const i = next >= 0 ? next : plugins.findIndex((_, k) => !done.has(k));
    done.add(i);
    out.push(plugins[i]!);
  }
  return out;
}
