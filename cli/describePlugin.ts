import { clip, ErrorCodes, GraftError, SINGLETON_KINDS, type PluginClass } from '../core/index.ts';
import { findPluginClass } from '../plugins/catalog.ts';
import type { ParsedArgs } from './args.ts';
import { optionRows } from './pluginDocs.ts';

/**
 * `graft describe <kind>:<name>`: a built-in plugin's metadata and its options (type and bounds,
 * default, meaning), read from the class's statics: nothing is constructed.
 */
export function describePluginCommand(args: ParsedArgs): string {
  const [name, extra] = args.positional;
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`, { expected: 'graft describe <kind>:<name>' });
  if (args.sets.length) {
    throw new GraftError(ErrorCodes.USAGE, '"graft describe <kind>:<name>" takes no --set', {
      hint: 'Options are set on a preset: graft describe <preset> --set key=value',
    });
  }
  return describePlugin(findPluginClass(name!));
}

/** The text `graft describe` prints for a plugin class. */
export function describePlugin(cls: PluginClass): string {
  const { meta } = cls;
  const one = SINGLETON_KINDS.has(meta.kind) || meta.singleton ? ', one per recipe' : '';
  const lines = [`${meta.name} (${meta.kind}${one}): ${meta.description ?? ''}`.trimEnd(), `class: ${cls.name}`];
  if (meta.dependsOn?.length) lines.push(`depends on: ${meta.dependsOn.join(', ')}`);
  if (meta.conflictsWith?.length) lines.push(`conflicts with: ${meta.conflictsWith.join(', ')}`);
  const rows = optionRows(cls.options).map((r) => [r.key, r.type, r.default ?? '-', r.doc] as const);
  if (rows.length === 0) return [...lines, '', 'options: none'].join('\n');
  const width = (i: 0 | 1 | 2) => Math.max(...rows.map((r) => r[i].length), ['option', 'type', 'default'][i]!.length);
  const [w0, w1, w2] = [width(0), width(1), width(2)];
  const row = (r: readonly string[]) => `  ${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]!.padEnd(w2)}  ${r[3]}`.trimEnd();
  return [...lines, '', 'options:', row(['option', 'type', 'default', 'meaning']), ...rows.map(row)].join('\n');
}
