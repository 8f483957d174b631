import { checkNpmCorpus } from './npmCorpora.ts';
import { inspectTextFile, textPathFiles, type TextFileReport } from './textFiles.ts';

/** Files named one by one in warnings about bytes that are not UTF-8; the rest are counted. */
const NAMED = 3;

/**
 * The pre-flight check of text sources (see `GraftPlugin.preflight`): an `npm:` corpus has its
 * package installed; a path exists, and every file it names is readable text (no NUL byte in its
 * first KB). Throws a DATA error naming the file (and line); returns warnings for files with byte
 * sequences that are not UTF-8, which will read as U+FFFD.
 */
export function preflightTextSources(sources: readonly string[], plugin: string): string[] {
  const reports: TextFileReport[] = [];
  for (const s of sources) {
    if (s.startsWith('npm:')) checkNpmCorpus(s, plugin);
    else for (const f of textPathFiles(s, plugin)) reports.push(inspectTextFile(f, plugin, 'sources'));
  }
  return utf8Warnings(reports, plugin);
}

/** One warning per file with bytes that are not UTF-8 (the first few), then a count of the rest. */
export function utf8Warnings(reports: readonly TextFileReport[], plugin: string): string[] {
  const bad = reports.filter((r) => r.invalidUtf8 > 0);
  const out = bad
    .slice(0, NAMED)
    .map(
      (r) =>
        `${plugin}: ${r.file}${r.firstInvalidLine === undefined ? '' : `:${r.firstInvalidLine}`}: ` +
        `${r.invalidUtf8} byte sequence${r.invalidUtf8 === 1 ? ' is' : 's are'} not UTF-8 and will read as U+FFFD`,
    );
  if (bad.length > NAMED) {
    const rest = bad.slice(NAMED);
    out.push(`${plugin}: ${rest.length} more files have bytes that are not UTF-8 (${rest.reduce((n, r) => n + r.invalidUtf8, 0)} sequences)`);
  }
  return out;
}
