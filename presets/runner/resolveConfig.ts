import { ErrorCodes, GraftError, parseOptionValue, resolveOptions, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';

/**
 * Resolve a preset's configuration from `--set key=value` strings (and/or typed overrides).
 * Unknown keys and ill-typed values fail with a CONFIG error naming the key and what is allowed,
 * before anything is written.
 */
export function resolveConfig<S extends OptionSchema>(
  presetName: string,
  schema: S,
  sets: readonly string[] = [],
  overrides: Record<string, unknown> = {},
): ResolvedOptions<S> {
  const input: Record<string, unknown> = { ...overrides };
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) {
      throw new GraftError(ErrorCodes.USAGE, `--set needs key=value`, { received: s, expected: 'key=value, e.g. train.lr=3e-4' });
    }
    const key = s.slice(0, eq);
    const spec = schema[key];
    if (!spec) {
      throw new GraftError(ErrorCodes.CONFIG, `unknown configuration key "${key}" for preset "${presetName}"`, {
        expected: `one of ${Object.keys(schema).join(', ')}`,
        hint: suggest(key, Object.keys(schema)),
      });
    }
    input[key] = parseOptionValue(presetName, key, spec, s.slice(eq + 1));
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
  const near = keys.filter((k) => k.toLowerCase().endsWith(tail) || k.toLowerCase().includes(tail));
  return near.length ? `Did you mean ${near.slice(0, 3).join(' or ')}?` : undefined;
}

/** The configuration schema as rows for `graft describe` / `graft list`. */
export function describeConfig(schema: OptionSchema, values: Record<string, unknown>): string {
  const rows = Object.entries(schema).map(([k, spec]) => `  ${k.padEnd(28)} ${JSON.stringify(values[k]).padEnd(24)} ${spec.doc}`);
  return rows.join('\n');
}
