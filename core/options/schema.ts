import { ErrorCodes, GraftError } from '../errors/index.ts';

/**
 * A small, declarative option schema. Plugins validate their options with it in the
 * constructor, and the CLI uses the same schema to type-check `--set key=value`, so a
 * bad value fails the same way from code and from the command line.
 */
export type OptionSpec =
  | { type: 'number'; default?: number; min?: number; max?: number; exclusiveMin?: boolean; doc: string }
  | { type: 'integer'; default?: number; min?: number; max?: number; doc: string }
  | { type: 'string'; default?: string; doc: string; pattern?: RegExp; minLength?: number }
  | { type: 'boolean'; default?: boolean; doc: string }
  | { type: 'enum'; values: readonly string[]; default?: string; doc: string }
  | { type: 'number[]'; default?: number[]; doc: string }
  | { type: 'string[]'; default?: string[]; doc: string }
  | { type: 'any'; default?: unknown; doc: string };

export type OptionSchema = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends { type: 'number' | 'integer' }
  ? number
  : S extends { type: 'string' }
    ? string
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : S extends { type: 'number[]' }
          ? number[]
          : S extends { type: 'string[]' }
            ? string[]
            : unknown;

/** Options as the user passes them: every key optional. */
export type InputOptions<S extends OptionSchema> = { [K in keyof S]?: ValueOf<S[K]> };
/** Options after validation: keys with a default are present. */
export type ResolvedOptions<S extends OptionSchema> = { [K in keyof S]: ValueOf<S[K]> };

/**
 * Validate `input` against `schema` for `plugin`. Unknown keys are errors (a typo must not be
 * silently ignored); missing keys take their default; a key with no default and no value is
 * left undefined (the plugin decides whether that is allowed).
 */
export function resolveOptions<S extends OptionSchema>(
  plugin: string,
  schema: S,
  input: InputOptions<S> | Record<string, unknown> = {},
): ResolvedOptions<S> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!(key in schema)) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'unknown option', {
        plugin,
        option: key,
        expected: `one of ${Object.keys(schema).join(', ') || '(no options)'}`,
      });
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const raw = (input as Record<string, unknown>)[key];
    out[key] = raw === undefined ? clone(spec.default) : checkValue(plugin, key, spec, raw);
  }
  return out as ResolvedOptions<S>;
}

/** Check one value; returns it (numbers from strings are not coerced here: see `parseOptionValue`). */
export function checkValue(plugin: string, key: string, spec: OptionSpec, v: unknown): unknown {
  const fail = (expected: string): never => {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid value', { plugin, option: key, expected, received: v });
  };
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`a finite ${spec.type}`);
      const n = v as number;
      if (spec.type === 'integer' && !Number.isInteger(n)) fail('an integer');
      const exclusive = spec.type === 'number' && spec.exclusiveMin;
      if (spec.min !== undefined && (exclusive ? n <= spec.min : n < spec.min))
        fail(`a ${spec.type} ${exclusive ? '>' : '>='} ${spec.min}${spec.max !== undefined ? ` and <= ${spec.max}` : ''}`);
      if (spec.max !== undefined && n > spec.max) fail(`a ${spec.type} <= ${spec.max}`);
      // 1e20 is an integer to JavaScript, but a count of steps or examples that large is not exact.
      if (spec.type === 'integer' && !Number.isSafeInteger(n)) {
        fail(`an integer from ${spec.min ?? -Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`);
      }
      return n;
    }
    case 'string':
      if (typeof v !== 'string') fail('a string');
      if (spec.minLength !== undefined && (v as string).length < spec.minLength) {
        fail(spec.minLength === 1 ? 'a non-empty string' : `a string of at least ${spec.minLength} characters`);
      }
      if (spec.pattern && !spec.pattern.test(v as string)) fail(`a string matching ${spec.pattern}`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') fail('true or false');
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) fail(`one of ${spec.values.join(', ')}`);
      return v;
    case 'number[]':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) fail('an array of numbers');
      return v;
    case 'string[]':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail('an array of strings');
      // An empty entry is never meant: as a path it would name the current folder.
      if ((v as string[]).some((x) => x.trim() === '')) fail('an array of non-empty strings');
      return v;
    case 'any':
      return v;
  }
}

/**
 * Turn a command-line string into the schema's type (`--set lr=3e-4`), then check it.
 * Errors name the key and what is allowed.
 */
export function parseOptionValue(plugin: string, key: string, spec: OptionSpec, text: string): unknown {
  const bad = (expected: string): never => {
    throw new GraftError(ErrorCodes.CONFIG, 'invalid value', { plugin, option: key, expected, received: text });
  };
  let v: unknown = text;
  switch (spec.type) {
    case 'number':
    case 'integer':
      v = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(v)) bad(`a ${spec.type}`);
      break;
    case 'boolean':
      if (text !== 'true' && text !== 'false') bad('true or false');
      v = text === 'true';
      break;
    case 'number[]':
    case 'string[]': {
      // An empty value is the empty list; an empty entry (`a,,b`, `a,`, `,`) is a mistake.
      const items = text === '' ? [] : text.split(',');
      const empty = items.findIndex((s) => s.trim() === '');
      const what = spec.type === 'number[]' ? 'numbers' : 'values';
      if (empty >= 0) bad(`comma-separated ${what} with no empty entry (entry ${empty + 1} of ${items.length} is empty; an empty value is the empty list)`);
      v = spec.type === 'number[]' ? items.map((s) => Number(s)) : items;
      if (spec.type === 'number[]' && (v as number[]).some((x) => !Number.isFinite(x))) bad('comma-separated numbers');
      break;
    }
    case 'any':
      try {
        v = JSON.parse(text);
      } catch {
        v = text;
      }
      break;
  }
  try {
    return checkValue(plugin, key, spec, v);
  } catch (e) {
    // Re-code as CONFIG: from the command line this is bad configuration (exit 2).
    if (e instanceof GraftError) throw new GraftError(ErrorCodes.CONFIG, 'invalid value', e.details);
    throw e;
  }
}

function clone<T>(v: T): T {
  return Array.isArray(v) ? (v.slice() as T) : v;
}
