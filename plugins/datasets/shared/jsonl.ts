import { ErrorCodes, GraftError } from '../../../core/index.ts';

export interface JsonlRow {
  value: unknown;
  /** 1-based line number. */
  line: number;
}

/**
 * Parse JSON Lines: one JSON value a line (LF or CRLF); blank lines are skipped. A line that is
 * not valid JSON is an error naming the file and line.
 */
export function parseJsonl(text: string, opts: { file?: string; plugin?: string } = {}): JsonlRow[] {
  const out: JsonlRow[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  lines.forEach((raw, k) => {
    if (raw.trim() === '') return;
    try {
      out.push({ value: JSON.parse(raw), line: k + 1 });
    } catch (cause) {
      throw new GraftError(ErrorCodes.DATA, `invalid JSON (${(cause as Error).message})`, {
        plugin: opts.plugin,
        file: opts.file ?? '(jsonl)',
        line: k + 1,
        hint: 'Each line of a .jsonl file must be one JSON object',
      });
    }
  });
  return out;
}
