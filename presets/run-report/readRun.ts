import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError } from '../../core/index.ts';

/** What a run folder holds for a report: its config.json and each stage folder's records. */
export interface RunData {
  dir: string;
  config: Record<string, unknown>;
  stages: StageData[];
}

export interface StageData {
  /** The stage folder relative to the run folder (`pretrain`, `runs/n100-s1/transfer`). */
  name: string;
  records: Record<string, unknown>[];
  result: Record<string, unknown> | undefined;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** metrics.jsonl records; a line cut short by a crash is skipped. */
export function readRecords(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

/** Folders under `dir` (depth 3 at most, checkpoints left out) with a metrics.jsonl or result.json. */
function stageFolders(dir: string, rel = '', depth = 0): string[] {
  const out: string[] = [];
  const here = path.join(dir, rel);
  if (rel && (existsSync(path.join(here, 'metrics.jsonl')) || existsSync(path.join(here, 'result.json')))) out.push(rel);
  if (depth >= 3) return out;
  for (const e of readdirSync(here, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('checkpoint') || e.name.includes('.tmp-')) continue;
    out.push(...stageFolders(dir, rel ? path.join(rel, e.name) : e.name, depth + 1));
  }
  return out;
}

/** Read a run folder; one without config.json is a usage error naming it. */
export function readRun(dir: string): RunData {
  const cfgFile = path.join(dir, 'config.json');
  if (!existsSync(dir) || !statSync(dir).isDirectory() || !existsSync(cfgFile)) {
    throw new GraftError(ErrorCodes.USAGE, 'not a run folder: it has no config.json', { file: dir, hint: 'Point at the folder a "graft run" wrote (its --out)' });
  }
  const config = readJson(cfgFile);
  if (!config) throw new GraftError(ErrorCodes.CONFIG, 'config.json is not valid JSON', { file: cfgFile });
  // Stages in the recipe's order first (a plain run), then any other stage folders (an experiment's cells).
  const recipeStages = ((config.recipe as { stages?: { name?: unknown }[] } | undefined)?.stages ?? []).map((s) => String(s.name));
  const found = stageFolders(dir);
  const ordered = [...recipeStages.filter((s) => found.includes(s)), ...found.filter((f) => !recipeStages.includes(f)).sort()];
  return {
    dir,
    config,
    stages: ordered.map((name) => ({ name, records: readRecords(path.join(dir, name, 'metrics.jsonl')), result: readJson(path.join(dir, name, 'result.json')) })),
  };
}
