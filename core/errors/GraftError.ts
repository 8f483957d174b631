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

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(formatMessage(message, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GraftError';
    this.code = code;
    this.details = details;
  }

  /** True when the fault is the caller's input (exit code 2), not a failure while running. */
  get isUsageError(): boolean {
    return USAGE_ERROR_CODES.has(this.code);
  }
}

function formatMessage(message: string, d: ErrorDetails): string {
  const where: string[] = [];
  if (d.plugin) where.push(`plugin "${d.plugin}"`);
  if (d.option) where.push(`option "${d.option}"`);
  if (d.file) where.push(d.line === undefined ? `file ${d.file}` : `${d.file}:${d.line}`);
  let out = where.length ? `${where.join(', ')}: ${message}` : message;
  if (d.expected !== undefined) out += `; expected ${d.expected}`;
  if ('received' in d) out += `, got ${show(d.received)}`;
  if (d.hint) out += `. ${d.hint}`;
  return out;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

/** Shorthand for the most common error: a bad option value on a plugin. */
export function badOption(plugin: string, option: string, expected: string, received: unknown): GraftError {
  return new GraftError(ErrorCodes.BAD_OPTION, 'invalid value', { plugin, option, expected, received });
}

export { ErrorCodes };
