import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { clip, ErrorCodes, GraftError, isPluginClass, type PluginClass } from '../../core/index.ts';
import { findPluginClass, PLUGIN_CLASSES } from '../../plugins/catalog.ts';

/** The plugin classes a recipe can name: the built-in catalog and those of the packages it loads. */
export interface PluginRegistry {
  /** The class named `name` (`optimizer:adamw`); an unknown name is a CONFIG error listing its kind's plugins. */
  find(name: string): PluginClass;
  /** Whether a class of that name is known. */
  has(name: string): boolean;
  /** Classes from packages (not the catalog's). */
  readonly extra: readonly PluginClass[];
}

/** The catalog plus `extra` classes (from packages); a name given twice is a CONFIG error naming both classes. */
export function pluginRegistry(extra: readonly PluginClass[] = []): PluginRegistry {
  const byName = new Map<string, PluginClass>(PLUGIN_CLASSES.map((c) => [c.meta.name, c]));
  for (const c of extra) {
    const other = byName.get(c.meta.name);
    if (other && other !== c) {
      throw new GraftError(ErrorCodes.CONFIG, `two plugin classes are named "${clip(c.meta.name)}": ${other.name} and ${c.name}`, {
        hint: 'A package plugin needs a name of its own (kind:name)',
      });
    }
    byName.set(c.meta.name, c);
  }
  return {
    extra: [...extra],
    has: (name) => byName.has(name),
    find(name) {
      const c = byName.get(name);
      if (c) return c;
      const sameKind = extra.filter((e) => e.meta.kind === name.split(':')[0]).map((e) => e.meta.name);
      try {
        return findPluginClass(name);
      } catch (e) {
        if (e instanceof GraftError && sameKind.length) throw e.withCode(e.code, { hint: [e.details.hint, `From packages: ${sameKind.join(', ')}`].filter(Boolean).join('. ') });
        throw e;
      }
    },
  };
}

/** The built-in catalog alone. */
export const builtinRegistry: PluginRegistry = pluginRegistry();

/**
 * Import each package (resolved from `fromDir`, a recipe file's folder, then from Graft's own
 * location) and collect the plugin classes it exports (named exports and `default`; a class is
 * one with static `meta` { name, kind } and `options`). A package that cannot be imported or
 * exports no plugin class is a CONFIG error naming it.
 */
export async function loadPluginPackages(packages: readonly string[], fromDir: string): Promise<PluginClass[]> {
  const out: PluginClass[] = [];
  for (const name of packages) {
    let mod: Record<string, unknown>;
    const resolved = resolvePackage(name, fromDir);
    try {
      mod = (await import(resolved ?? name)) as Record<string, unknown>;
    } catch (e) {
      const missing = resolved === undefined && (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
      throw new GraftError(ErrorCodes.CONFIG, missing ? `package "${clip(name)}" is not installed where the recipe is (${clip(fromDir)}) or where Graft is` : `package "${clip(name)}" could not be imported: ${clip((e as Error).message, 200)}`, {
        hint: missing ? `npm install ${clip(name)} next to the recipe, or remove it from packages` : undefined,
      });
    }
    const classes = [...new Set(Object.values(mod).filter(isPluginClass))];
    if (classes.length === 0) {
      throw new GraftError(ErrorCodes.CONFIG, `package "${clip(name)}" exports no plugin class`, {
        expected: 'exported classes with static meta { name, kind } and options (see graftml PluginClass)',
      });
    }
    out.push(...classes);
  }
  return out;
}

/** The package's entry as resolved from `fromDir`, or undefined (then Node resolves it from Graft's location). */
function resolvePackage(name: string, fromDir: string): string | undefined {
  try {
    return pathToFileURL(createRequire(path.join(path.resolve(fromDir), 'recipe.js')).resolve(name)).href;
  } catch {
    return undefined;
  }
}
