import { clip, ErrorCodes, GraftError } from '../core/index.ts';

export interface ParsedArgs {
  command: string | undefined;
  positional: string[];
  /** --flag value / --flag=value; repeated flags collect in `sets` (--set) and `uses` (--use). */
  flags: Record<string, string | true>;
  sets: string[];
  uses: string[];
  /** Flags that may repeat (`graft predict --text a --text b`), every value in order. */
  lists?: Record<string, string[]>;
}

/** Flags each command accepts, and whether they take a value. */
const FLAGS: Record<string, Record<string, 'value' | 'bool' | 'list'>> = {
  run: { set: 'value', use: 'value', out: 'value', backend: 'value', seed: 'value', force: 'bool', quiet: 'bool' },
  resume: { backend: 'value', quiet: 'bool' },
  describe: { set: 'value', use: 'value' },
  list: {},
  new: { kind: 'value', dir: 'value' },
  generate: { prompt: 'value', chat: 'bool', 'max-tokens': 'value', temperature: 'value', 'top-k': 'value', seed: 'value', backend: 'value' },
  eval: { data: 'value', split: 'value', stage: 'value', json: 'bool', backend: 'value', base: 'value' },
  predict: { text: 'list', file: 'value', 'batch-size': 'value', stage: 'value', backend: 'value', base: 'value' },
  merge: { out: 'value', base: 'value', stage: 'value', backend: 'value' },
  tokenize: { tokenizer: 'value', out: 'value', 'shard-tokens': 'value' },
  export: { format: 'value', out: 'value', base: 'value' },
  'export-vectors': { out: 'value', param: 'value' },
  neighbours: { word: 'value', k: 'value' },
  report: {},
  compare: { out: 'value' },
  sweep: { grid: 'list', seeds: 'value', seed: 'value', set: 'value', use: 'value', out: 'value', workers: 'value', redis: 'value', queue: 'value', backend: 'value', 'lease-ms': 'value', attempts: 'value' },
  worker: { dir: 'value', redis: 'value', queue: 'value', wait: 'bool', backend: 'value', 'lease-ms': 'value' },
  help: {},
};

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { command: undefined, positional: [], flags: {}, sets: [], uses: [] };
  const [command, ...rest] = argv;
  out.command = command;
  if (command === undefined || command === '--help' || command === '-h') {
    out.command = 'help';
    return out;
  }
  const allowed = FLAGS[command];
  if (!allowed) {
    throw new GraftError(ErrorCodes.USAGE, `unknown command "${clip(command)}"`, { expected: `one of ${Object.keys(FLAGS).join(', ')}` });
  }
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = allowed[name];
    if (!kind) {
      throw new GraftError(ErrorCodes.USAGE, `unknown flag --${clip(name)} for "graft ${command}"`, {
        expected: Object.keys(allowed).length ? `one of ${Object.keys(allowed).map((f) => `--${f}`).join(', ')}` : 'no flags',
      });
    }
    let value: string | true = true;
    if (kind !== 'bool') {
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < rest.length) value = rest[++i]!;
      else throw new GraftError(ErrorCodes.USAGE, `--${name} needs a value`);
    }
    if (kind === 'list') ((out.lists ??= {})[name] ??= []).push(value as string);
    else if (name === 'set') out.sets.push(value as string);
    else if (name === 'use') out.uses.push(value as string);
    else if (name in out.flags) {
      // Keeping the last of two values silently runs something the user did not read twice.
      throw new GraftError(ErrorCodes.USAGE, `--${name} is given twice`, {
        expected: 'each flag once (only --set and --use repeat, once per key)',
        received: [out.flags[name], value],
      });
    } else out.flags[name] = value;
  }
  return out;
}

/** A non-negative integer flag, at most `max` (default 2^53 - 1: larger ones are not exact). */
export function intFlag(flags: ParsedArgs['flags'], name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new GraftError(ErrorCodes.USAGE, `--${name} must be a non-negative integer`, { expected: `an integer from 0 to ${max}`, received: v });
  }
  return n;
}

export function numberFlag(flags: ParsedArgs['flags'], name: string, fallback: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new GraftError(ErrorCodes.USAGE, `--${name} must be a number`, { received: v });
  return n;
}

/** Seeds are 32-bit (see Rng): a larger one would silently run as another seed. */
export const MAX_SEED = 0xffffffff;
