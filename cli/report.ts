import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clip, ErrorCodes, GraftError } from '../core/index.ts';
import { compareHtml, compareMarkdown, readRun, writeReport } from '../presets/run-report/index.ts';
import type { ParsedArgs } from './args.ts';
import type { Io } from './main.ts';

/** `graft report <run-dir>`: rebuild the run's report.html from what the folder holds; print its path. */
export function reportCommand(args: ParsedArgs, io: Io): number {
  const [dir, extra] = args.positional;
  if (!dir) throw new GraftError(ErrorCodes.USAGE, '"graft report" needs a run folder');
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  io.out(writeReport(path.resolve(dir)));
  return 0;
}

/**
 * `graft compare <run-dir> <run-dir>... [--out compare.html]`: the configuration keys that differ
 * and each stage's final metrics as a Markdown table (printed, and written next to the page as
 * .md), and an HTML page with every run's curves overlaid.
 */
export function compareCommand(args: ParsedArgs, io: Io): number {
  const dirs = args.positional;
  if (dirs.length < 2) throw new GraftError(ErrorCodes.USAGE, '"graft compare" needs two run folders or more', { received: dirs });
  const runs = dirs.map((d) => readRun(path.resolve(d)));
  const out = path.resolve(typeof args.flags.out === 'string' ? args.flags.out : 'compare.html');
  const md = compareMarkdown(runs);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, compareHtml(runs));
  writeFileSync(out.replace(/\.html?$/i, '') + '.md', md);
  io.out(md);
  io.err(`graft: wrote ${out}`);
  return 0;
}
