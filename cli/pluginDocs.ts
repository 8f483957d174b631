/**
 * Plugin documentation generated from the plugin classes' static schemas, so it cannot drift:
 * each plugin README's option table sits between `<!-- options:begin -->` and
 * `<!-- options:end -->` and is written by `npm run docs` (cli/docs.ts; `--check`: exit 1 naming the
 * READMEs that differ, write nothing). `graft describe <kind>:<name>` prints the same rows.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, type OptionSchema, type OptionSpec, type PluginClass } from '../core/index.ts';
import { PLUGIN_CLASSES } from '../plugins/catalog.ts';

export const OPTIONS_BEGIN = '<!-- options:begin -->';
export const OPTIONS_END = '<!-- options:end -->';

/** One option as documentation shows it. */
export interface OptionRow {
  key: string;
  /** The type and its bounds: `number in [0, 1)`, `integer ≥ 1`, `"min" | "max"`. */
  type: string;
  /** The default as a literal (`0.001`, `"validation_loss"`, `[]`), or undefined when there is none. */
  default: string | undefined;
  doc: string;
}

export function optionRows(schema: OptionSchema): OptionRow[] {
  return Object.entries(schema).map(([key, spec]) => ({
    key,
    type: typeText(spec),
    default: spec.default === undefined ? undefined : literal(spec.default),
    doc: spec.doc,
  }));
}

/** The type of an option with the bounds its schema checks. */
export function typeText(spec: OptionSpec): string {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const lo = spec.min === undefined ? undefined : `${spec.type === 'number' && spec.exclusiveMin ? '(' : '['}${spec.min}`;
      if (lo !== undefined && spec.max !== undefined) return `${spec.type} in ${lo}, ${spec.max}]`;
      if (lo !== undefined) return `${spec.type} ${lo.startsWith('(') ? '>' : '≥'} ${spec.min}`;
      if (spec.max !== undefined) return `${spec.type} ≤ ${spec.max}`;
      return spec.type;
    }
    case 'string': {
      const base = spec.minLength === 1 ? 'non-empty string' : spec.minLength ? `string of ≥ ${spec.minLength} characters` : 'string';
      return spec.pattern ? `${base} matching ${spec.pattern}` : base;
    }
    case 'enum':
      return spec.values.map((v) => JSON.stringify(v)).join(' | ');
    default:
      return spec.type;
  }
}

/** A value as a short literal: strings quoted, lists and objects written out. */
export function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${literal(x)}`).join(', ')} }`;
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The generated part of a plugin's README: its option table from the static schema. */
export function optionsMarkdown(cls: PluginClass): string {
  const rows = optionRows(cls.options);
  const note = `<!-- generated from ${cls.name}.options by \`npm run docs\`: edit the schema, not this table -->`;
  if (rows.length === 0) return `${note}\nOptions: none.`;
  const lines = rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${r.default === undefined ? '—' : `\`${cell(r.default)}\``} | ${cell(r.doc)} |`);
  return [note, '| option | type | default | meaning |', '|---|---|---|---|', ...lines].join('\n');
}

/** `text` with the block between the markers replaced by the generated table of `cls`. */
export function renderReadme(text: string, cls: PluginClass, file: string): string {
  const begin = text.indexOf(OPTIONS_BEGIN);
  const end = text.indexOf(OPTIONS_END);
  if (begin < 0 || end < begin || text.indexOf(OPTIONS_BEGIN, begin + 1) >= 0) {
    throw new GraftError(ErrorCodes.CONFIG, `the README of ${cls.meta.name} needs one ${OPTIONS_BEGIN} … ${OPTIONS_END} block`, {
      file,
      hint: 'Put the two markers where the option table goes; `npm run docs` fills them',
    });
  }
  return `${text.slice(0, begin + OPTIONS_BEGIN.length)}\n${optionsMarkdown(cls)}\n${text.slice(end)}`;
}

/** The README of every catalog plugin: the `README.md` under `plugins/` whose title is `# <kind>:<name>`. */
export function pluginReadmes(root: string): { cls: PluginClass; file: string }[] {
  const byTitle = new Map<string, string>();
  for (const rel of readdirSync(path.join(root, 'plugins'), { recursive: true }).map(String)) {
    if (path.basename(rel) !== 'README.md') continue;
    const file = path.join(root, 'plugins', rel);
    const title = /^# (\S+)/.exec(readFileSync(file, 'utf8'))?.[1];
    if (title) byTitle.set(title, file);
  }
  return PLUGIN_CLASSES.map((cls) => {
    const file = byTitle.get(cls.meta.name);
    if (!file) {
      throw new GraftError(ErrorCodes.CONFIG, `plugin ${cls.meta.name} has no README`, {
        expected: `a plugins/<kind>/<name>/README.md whose first line is "# ${cls.meta.name}"`,
      });
    }
    return { cls, file };
  });
}

/** Regenerate every plugin README's option table; with `check`, write nothing. Returns the READMEs that differed. */
export function updatePluginDocs(root: string, { check = false } = {}): string[] {
  const changed: string[] = [];
  for (const { cls, file } of pluginReadmes(root)) {
    const text = readFileSync(file, 'utf8');
    const next = renderReadme(text, cls, file);
    if (next === text) continue;
    changed.push(path.relative(root, file));
    if (!check) writeFileSync(file, next);
  }
  return changed;
}
