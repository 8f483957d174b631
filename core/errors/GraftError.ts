import { ErrorCodes, USAGE_ERROR_CODES, type ErrorCode } from './codes.ts';

/** Where an error comes from, so a message can name the plugin, option, file or line at fault. */
export interface ErrorDetails {
  plugin?: string;
  option?: string;
  /** What was expected, in words: "a number in (0, 1]". */
  expected?: string;
  /** What was received (stringified for the message). */
  received?: unknown;
  file?: string;
  line?: number;
  /** How to fix it, in one sentence. */
  hint?: string;
  cause?: unknown;
}

export class GraftError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** The message before the details (plugin, option, file, expected, received) were added. */
  readonly summary: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(formatMessage(message, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GraftError';
    this.code = code;
    this.details = details;
    this.summary = message;
  }

  /** The same error under another code (e.g. a data error found before a run: bad configuration). */
  withCode(code: ErrorCode, extra: ErrorDetails = {}): GraftError {
    const e = new GraftError(code, this.summary, { ...this.details, ...extra });
    if (this.stack) e.stack = this.stack.replace(this.message, e.message);
    return e;
  }

  /** True when the fault is the caller's input (exit code 2), not a failure while running. */
  get isUsageError(): boolean {
    return USAGE_ERROR_CODES.has(this.code);
  }
}

/**
 * Every part is cut to a readable length (the received value to `ECHO_LIMIT`), as any part may
 * hold user text: a 10 MB line or path must not become a 10 MB message.
 */
function formatMessage(message: string, d: ErrorDetails): string {
  const where: string[] = [];
  if (d.plugin) where.push(`plugin "${clip(d.plugin, 100)}"`);
  if (d.option) where.push(`option "${clip(d.option, 100)}"`);
  if (d.file) where.push(d.line === undefined ? `file ${clipMiddle(d.file, 120)}` : `${clipMiddle(d.file, 120)}:${d.line}`);
  let out = where.length ? `${where.join(', ')}: ${clip(message, 500)}` : clip(message, 500);
  if (d.expected !== undefined) out += `; expected ${clip(d.expected, 600)}`;
  if ('received' in d) out += `, got ${show(d.received)}`;
  if (d.hint) out += `. ${clip(d.hint, 300)}`;
  return out;
}

function show(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined;
  }
  return clip(s === undefined ? String(v) : s);
}

/** Longest echo of a received value or user text in a message, in characters. */
export const ECHO_LIMIT = 80;

/**
 * User text as echoed in a message: at most `max` characters, a longer one cut with
 * "… (N chars)" giving its whole length, so a 10 MB line never lands in a terminal or a log.
 */
export function clip(s: string, max = ECHO_LIMIT): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max);
  // Never end on half a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}… (${s.length} chars)`;
}

/** A path cut in the middle, so its file name stays: `/a/b/c…/x/name.txt (N chars)`. */
function clipMiddle(s: string, max: number): string {
  if (s.length <= max) return s;
  const half = Math.floor(max / 2);
  let head = s.slice(0, half);
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  let tail = s.slice(-half);
  if (/^[\udc00-\udfff]/.test(tail)) tail = tail.slice(1);
  return `${head}…${tail} (${s.length} chars)`;
}

/** Shorthand for the most common error: a bad option value on a plugin. */
export function badOption(plugin: string, option: string, expected: string, received: unknown): GraftError {
  return new GraftError(ErrorCodes.BAD_OPTION, 'invalid value', { plugin, option, expected, received });
}

export { ErrorCodes };
