import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { clip, ErrorCodes, GraftError, ioError } from '../../core/index.ts';
import type { Recipe } from './recipe.ts';
import { recipeFromData, type Locate, type RecipeData } from './recipeData.ts';
import { loadPluginPackages, pluginRegistry, type PluginRegistry } from './registry.ts';

/** Whether a `graft run` argument names a recipe file rather than a preset. */
export function isRecipeFile(arg: string): boolean {
  return /\.(ya?ml|json)$/i.test(arg);
}

/** A recipe read from a file, the plugin registry it was read with, and what a run's `config.json` recorded. */
export interface LoadedRecipe {
  recipe: Recipe;
  registry: PluginRegistry;
  file: string;
  /** A run's `config.json`: the seed it ran with (the default for `graft run` of it). */
  seed?: number;
}

/**
 * Read a recipe file (`.yaml`, `.yml` or `.json`; JSON is read as the YAML it also is, so both get
 * line numbers), import the packages it names, and check it (`recipeFromData`). A run's
 * `config.json` is a recipe file too: its `recipe` is read, and its `seed` kept. Every problem is
 * a CONFIG error naming the file, the line, the key and what was expected.
 */
export async function loadRecipeFile(file: string): Promise<LoadedRecipe> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new GraftError(ErrorCodes.USAGE, 'no such recipe file', { file, expected: 'a .yaml, .yml or .json recipe, or a preset name (graft list)' });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw ioError(e, { action: 'read the recipe', file });
  }
  const { data, locate } = parseRecipeText(text, file);
  const recorded = isRunConfig(data);
  const prefix = recorded ? ['recipe'] : [];
  const at: Locate = (p, where) => locate([...prefix, ...p], where);
  const recipeData = (recorded ? data.recipe : data) as RecipeData;
  const packages = Array.isArray(recipeData?.packages) ? recipeData.packages.filter((p): p is string => typeof p === 'string') : [];
  let registry: PluginRegistry;
  try {
    registry = pluginRegistry(await loadPluginPackages(packages, path.dirname(path.resolve(file))));
  } catch (e) {
    if (e instanceof GraftError) throw e.withCode(e.code, at(['packages']));
    throw e;
  }
  const recipe = recipeFromData(recipeData, registry, at);
  const seed = recorded && Number.isSafeInteger(data.seed) ? (data.seed as number) : undefined;
  return { recipe, registry, file, ...(seed !== undefined ? { seed } : {}) };
}

/** A run's `config.json`: `{ preset, seed, config, recipe, ... }` with the recipe under `recipe`. */
function isRunConfig(data: unknown): data is { recipe: unknown; seed?: unknown } {
  return typeof data === 'object' && data !== null && 'recipe' in data && 'preset' in data && 'seed' in data;
}

/**
 * Parse YAML (or JSON) text into data and a locator of the line of any path in it. Syntax errors,
 * duplicate keys and aliases (`*x`: a recipe is plain data) are CONFIG errors naming file and line.
 */
export function parseRecipeText(text: string, file: string): { data: unknown; locate: Locate } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const kind = /\.json$/i.test(file) ? 'JSON' : 'YAML';
  const err = doc.errors[0];
  if (err) {
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new GraftError(ErrorCodes.CONFIG, `not valid ${kind}: ${clip(message, 200)}`, { file, line: err.linePos?.[0].line, expected: `a recipe in ${kind}` });
  }
  const locate: Locate = (p, where = 'value') => {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    let found: unknown = node;
    for (const seg of p) {
      if (isMap(node)) {
        const pair = node.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === seg);
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
        found = node ?? keyNode;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        keyNode = undefined;
        node = node.items[seg];
        found = node;
      } else break;
    }
    const target = (where === 'key' && keyNode ? keyNode : found) as Node | undefined;
    const offset = target?.range?.[0];
    return { file, ...(offset !== undefined ? { line: lines.linePos(offset).line } : {}) };
  };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 0 });
  } catch (e) {
    throw new GraftError(ErrorCodes.CONFIG, `not a plain recipe: ${clip((e as Error).message, 200)}`, { file, expected: 'no YAML aliases (*name)' });
  }
  return { data, locate };
}
