import { clip, ErrorCodes, GraftError, parseOptionValue, resolveOptions, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';

/**
 * Resolve a preset's configuration from `--set key=value` strings (and/or typed overrides).
 * Unknown keys, ill-typed values and a key set twice fail with a CONFIG error naming the key and
 * what is allowed, before anything is written.
 */
export function resolveConfig<S extends OptionSchema>(
  presetName: string,
  schema: S,
  sets: readonly string[] = [],
  overrides: Record<string, unknown> = {},
): ResolvedOptions<S> {
  const input: Record<string, unknown> = { ...overrides };
  const given = new Map<string, string>();
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) {
      throw new GraftError(ErrorCodes.USAGE, `--set needs key=value`, { received: s, expected: 'key=value, e.g. train.lr=3e-4' });
    }
    const key = s.slice(0, eq);
    const spec = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!spec) {
      throw new GraftError(ErrorCodes.CONFIG, `unknown configuration key "${clip(key)}" for preset "${presetName}"`, {
        expected: `one of ${Object.keys(schema).join(', ')}`,
        hint: suggest(key, Object.keys(schema)),
      });
    }
    const text = s.slice(eq + 1);
    const before = given.get(key);
    if (before !== undefined) {
      // The last one winning silently would run a configuration the user did not mean.
      throw new GraftError(ErrorCodes.CONFIG, `--set ${key} is given twice`, {
        option: key,
        expected: 'each key once',
        received: [before, text],
      });
    }
    given.set(key, text);
    input[key] = parseOptionValue(presetName, key, spec, text);
  }
  try {
    return resolveOptions(presetName, schema, input);
  } catch (e) {
    if (e instanceof GraftError) throw new GraftError(ErrorCodes.CONFIG, 'invalid configuration', e.details);
    throw e;
  }
}

function suggest(key: string, keys: string[]): string | undefined {
  const tail = key.split('.').pop()!.toLowerCase();
  if (tail === '' || tail.length > 100) return undefined;
  const near = keys.filter((k) => k.toLowerCase().endsWith(tail) || k.toLowerCase().includes(tail));
  return near.length ? `Did you mean ${near.slice(0, 3).join(' or ')}?` : undefined;
}

/** The configuration schema as rows for `graft describe` / `graft list`. */
export function describeConfig(schema: OptionSchema, values: Record<string, unknown>): string {
  const rows = Object.entries(schema).map(([k, spec]) => `  ${k.padEnd(28)} ${JSON.stringify(values[k]).padEnd(24)} ${spec.doc}`);
  return rows.join('\n');
}
