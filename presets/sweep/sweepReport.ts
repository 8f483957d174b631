import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareHtml, compareMarkdown } from '../run-report/compareRuns.ts';
import { readRun } from '../run-report/readRun.ts';
import { writeJsonAtomic } from '../runner/writeAtomic.ts';

/** One run of a sweep, for its report. */
export interface SweepRun {
  /** Run folder relative to the shared directory ('' = the directory itself). */
  dir: string;
  label: string;
  point: Record<string, string>;
  seed: number;
  jobs: string[];
}

/**
 * The sweep's report in the shared directory: `report.md` (`graft compare`'s table: the keys that
 * differ, each stage's final metrics per run), `compare.html` (its page: every run's curves
 * overlaid) and `report.json` (per run: folder, grid point, seed, jobs, each stage's result).
 */
export function writeSweepReport(shared: string, runs: readonly SweepRun[]): { md: string; json: string; html: string } {
  const data = runs.map((r) => readRun(path.join(shared, r.dir)));
  // graft compare labels columns by folder name; the shared directory itself is named by its own.
  const md = compareMarkdown(data);
  const files = { md: path.join(shared, 'report.md'), json: path.join(shared, 'report.json'), html: path.join(shared, 'compare.html') };
  writeFileSync(files.md, md);
  writeFileSync(files.html, compareHtml(data));
  writeJsonAtomic(files.json, {
    runs: runs.map((r, i) => ({
      dir: r.dir,
      point: r.point,
      seed: r.seed,
      jobs: r.jobs,
      stages: Object.fromEntries(data[i]!.stages.map((s) => [s.name, s.result ?? null])),
    })),
  });
  return files;
}
