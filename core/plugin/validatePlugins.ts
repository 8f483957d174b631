import { ErrorCodes, GraftError } from '../errors/index.ts';
import { kindOf, SINGLETON_KINDS, type GraftPlugin } from './Plugin.ts';

const NAME_RE = /^[a-z][a-z0-9-]*:[a-z0-9][a-z0-9-.]*$/;

/**
 * Check a recipe's plugins before anything is applied: well-formed metadata, unique names,
 * one plugin per singleton kind, every dependency present, no conflicts. Each error names both
 * plugins involved and how to fix it.
 */
export function validatePlugins(plugins: readonly GraftPlugin[]): void {
  const byName = new Map<string, GraftPlugin>();
  const byKind = new Map<string, GraftPlugin[]>();

  for (const p of plugins) {
    const meta = (p as Partial<GraftPlugin>)?.meta;
    if (!meta || typeof meta.name !== 'string' || typeof meta.kind !== 'string') {
      throw new GraftError(ErrorCodes.BAD_PLUGIN, 'a plugin has no meta { name, kind }', {
        plugin: String((p as { constructor?: { name?: string } })?.constructor?.name ?? p),
        expected: 'meta: { name: "<kind>:<name>", kind: "<kind>" }',
      });
    }
    if (!NAME_RE.test(meta.name) || kindOf(meta.name) !== meta.kind) {
      throw new GraftError(ErrorCodes.BAD_PLUGIN, 'malformed plugin name', {
        plugin: meta.name,
        expected: `"${meta.kind}:<name>" in lower-case kebab-case`,
        received: meta.name,
      });
    }
    if (typeof p.apply !== 'function') {
      throw new GraftError(ErrorCodes.BAD_PLUGIN, 'plugin has no apply(trainer) method', { plugin: meta.name });
    }
    const dup = byName.get(meta.name);
    if (dup) {
      throw new GraftError(ErrorCodes.CONFLICT, `plugin "${meta.name}" is in the recipe twice`, {
        plugin: meta.name,
        hint: 'Remove one: the name is the plugin\'s tap name and its key in checkpoints, so it appears once (to run the same logic twice, give a subclass its own meta.name)',
      });
    }
    byName.set(meta.name, p);
    const list = byKind.get(meta.kind) ?? [];
    list.push(p);
    byKind.set(meta.kind, list);
  }

  for (const [kind, list] of byKind) {
    const singleton = SINGLETON_KINDS.has(kind) || list.some((p) => p.meta.singleton);
    if (singleton && list.length > 1) {
      throw new GraftError(
        ErrorCodes.SINGLETON,
        `plugins "${list[0]!.meta.name}" and "${list[1]!.meta.name}" are both of kind "${kind}", which allows one`,
        { plugin: list[1]!.meta.name, hint: `Keep one ${kind}; to replace the ${kind} of a recipe, replace its slot (in code: modules: [replaceSlot('${kind}', plugin)]) instead of adding another` },
      );
    }
  }

  const find = (ref: string): GraftPlugin | undefined => {
    if (ref.endsWith(':*')) return byKind.get(ref.slice(0, -2))?.[0];
    if (!ref.includes(':')) return byKind.get(ref)?.[0];
    return byName.get(ref);
  };

  for (const p of plugins) {
    for (const dep of p.meta.dependsOn ?? []) {
      if (!find(dep)) {
        throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, `depends on "${dep}", which is not in the recipe`, {
          plugin: p.meta.name,
          hint: `Add a plugin matching "${dep}" or remove "${p.meta.name}"`,
        });
      }
    }
    for (const c of p.meta.conflictsWith ?? []) {
      const other = find(c);
      if (other && other !== p) {
        throw new GraftError(ErrorCodes.CONFLICT, `conflicts with "${other.meta.name}"`, {
          plugin: p.meta.name,
          hint: `Remove one of "${p.meta.name}" and "${other.meta.name}"`,
        });
      }
    }
  }
}
