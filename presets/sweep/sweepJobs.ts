import { createHash } from 'node:crypto';
import { clip, ErrorCodes, GraftError } from '../../core/index.ts';
import type { RecipeData } from '../recipe/recipeData.ts';
import { withoutGrid } from '../runner/runPreset.ts';

/** A whole run of a recipe without an experiment: `runPreset` into `dir` (relative to the shared directory). */
export interface RunJobData {
  kind: 'run';
  dir: string;
  recipe: RecipeData;
  seed: number;
  /** The grid point, for the report: key → value as given on the command line. */
  point: Record<string, string>;
  [key: string]: unknown;
}

/**
 * One cell of an experiment: the stages its `run` function gives for `subdir`, run in
 * `<dir>/<subdir>` (`dir`: the experiment's run folder, relative to the shared directory).
 */
export interface CellJobData {
  kind: 'cell';
  dir: string;
  subdir: string;
  recipe: RecipeData;
  /** The run seed (the cell's own seed, if the experiment gives one, is `cellSeed`). */
  seed: number;
  cellSeed?: number;
  [key: string]: unknown;
}

export type SweepJobData = RunJobData | CellJobData;

/** JSON with object keys sorted, so equal values hash equally whatever order they were built in. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const hash = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 24);

/** A run's job id: a hash of its resolved recipe and seed (what it computes, not where it was asked from). */
export function runJobId(recipe: RecipeData, seed: number): string {
  return `run-${hash({ recipe, seed })}`;
}

/**
 * A cell's job id: a hash of the recipe without the experiment's grid values (growing `sizes` or
 * `seeds` leaves the existing cells' jobs as they were), the seed, the experiment's folder and the
 * cell's.
 */
export function cellJobId(d: Omit<CellJobData, 'kind'>): string {
  return `cell-${hash({ recipe: withoutGrid(d.recipe), seed: d.seed, dir: d.dir, subdir: d.subdir, cellSeed: d.cellSeed })}`;
}

/** `--grid key=v1,v2`: the key and its values (text, parsed by the key's owner when configured). */
export function parseGrid(texts: readonly string[]): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const t of texts) {
    const eq = t.indexOf('=');
    if (eq <= 0 || eq === t.length - 1) throw new GraftError(ErrorCodes.USAGE, '--grid needs key=v1,v2,...', { received: t, expected: 'e.g. train.lr=1e-3,3e-3' });
    const key = t.slice(0, eq);
    if (out.some(([k]) => k === key)) throw new GraftError(ErrorCodes.USAGE, `--grid ${clip(key)} is given twice`, { option: key, expected: 'each key once, with all its values' });
    const values = splitValues(t.slice(eq + 1));
    if (new Set(values).size !== values.length) throw new GraftError(ErrorCodes.USAGE, `--grid ${clip(key)} repeats a value`, { option: key, received: values });
    out.push([key, values]);
  }
  return out;
}

/**
 * Values separated by commas outside brackets and quotes, so a list-valued key takes lists:
 * `--grid data.sources=[npm:sotu],[npm:moby-dick,npm:sotu]`.
 */
function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out.map((v) => v.trim());
}

/** Every combination of the grid's values, the first key varying slowest. */
export function expandGrid(grid: readonly [string, readonly string[]][]): Record<string, string>[] {
  let points: Record<string, string>[] = [{}];
  for (const [key, values] of grid) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points;
}

/** A run folder's name for a grid point: its values, readable, then the job id's start (unique). */
export function pointDirName(point: Record<string, string>, seed: number | undefined, id: string): string {
  const parts = [...Object.entries(point).map(([k, v]) => `${k.split('.').pop()}=${v}`), ...(seed !== undefined ? [`seed=${seed}`] : [])];
  const readable = parts.join(',').replace(/[^A-Za-z0-9._=,+-]/g, '_').slice(0, 80);
  return `${readable || 'run'}-${id.replace(/^[a-z]+-/, '').slice(0, 8)}`;
}
