import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeTextAtomic } from '../runner/writeAtomic.ts';
import { loopText } from './loopText.ts';
import { readRun } from './readRun.ts';
import { reportHtml } from './reportHtml.ts';

/** The report file of a run folder. */
export const REPORT_FILE = 'report.html';

/** An experiment's own files, linked from its report when they exist. */
const LINKED_FILES = ['results.md', 'results.json', 'f1-vs-size.svg'];

/** Build `<dir>/report.html` from what the run folder holds now; returns its path. */
export function writeReport(dir: string): string {
  const run = readRun(dir);
  const md = path.join(dir, 'results.md');
  const svg = path.join(dir, 'f1-vs-size.svg');
  const loop = loopText(run.config.recipe);
  const files = LINKED_FILES.filter((f) => existsSync(path.join(dir, f)));
  const html = reportHtml(run, {
    ...(loop !== undefined ? { loop } : {}),
    files,
    ...(existsSync(md) ? { resultsMd: readFileSync(md, 'utf8') } : {}),
    // Graft's own plot (written by the experiment), inlined as it is.
    ...(existsSync(svg) ? { plotSvg: readFileSync(svg, 'utf8') } : {}),
  });
  const file = path.join(dir, REPORT_FILE);
  writeTextAtomic(file, html);
  return file;
}
