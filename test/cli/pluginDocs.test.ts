import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError } from '../../core/index.ts';
import { AdamwOptimizer, ConstantScheduler, PLUGIN_CLASSES } from '../../plugins/index.ts';
import { literal, OPTIONS_BEGIN, OPTIONS_END, optionRows, optionsMarkdown, pluginReadmes, renderReadme, typeText, updatePluginDocs } from '../../cli/pluginDocs.ts';

const root = path.resolve(import.meta.dirname, '../..');

test('every plugin README holds the option table generated from its static schema (npm run docs)', (t) => {
  const readmes = pluginReadmes(root);
  t.is(readmes.length, PLUGIN_CLASSES.length, 'one README per catalog plugin');
  const stale = updatePluginDocs(root, { check: true });
  t.deepEqual(stale, [], `READMEs whose option table differs from the schema (run npm run docs): ${stale.join(', ')}`);
  for (const { cls, file } of readmes) {
    const text = readFileSync(file, 'utf8');
    for (const key of Object.keys(cls.options)) t.true(text.includes(`| \`${key}\` |`), `${path.relative(root, file)} documents ${key}`);
  }
});

test('a README whose table was edited by hand is rewritten from the schema', (t) => {
  const edited = `# optimizer:adamw\n\nText.\n\n${OPTIONS_BEGIN}\n| option | default |\n|---|---|\n| \`lr\` | \`0.1\` |\n${OPTIONS_END}\n\nMore text.\n`;
  const out = renderReadme(edited, AdamwOptimizer, 'README.md');
  t.is(out, `# optimizer:adamw\n\nText.\n\n${OPTIONS_BEGIN}\n${optionsMarkdown(AdamwOptimizer)}\n${OPTIONS_END}\n\nMore text.\n`);
  t.regex(out, /\| `lr` \| number ≥ 0 \| `0\.001` \| Base learning rate/);
  t.regex(out, /\| `beta1` \| number in \[0, 1\] \| `0\.9` \|/);
  t.regex(out, /\| `eps` \| number > 0 \| `1e-8` \|/);
  t.is(renderReadme(out, AdamwOptimizer, 'README.md'), out, 'generating twice changes nothing');
});

test('a README without the markers is an error naming the plugin and the file', (t) => {
  const e = t.throws(() => renderReadme('# optimizer:adamw\n', AdamwOptimizer, 'plugins/optimizers/adamw/README.md'), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.CONFIG);
  t.regex(e.message, /optimizer:adamw.*options:begin/);
  t.is(e.details.file, 'plugins/optimizers/adamw/README.md');
});

test('rows: type with bounds, default as a literal, doc; a plugin without options says so', (t) => {
  t.is(typeText({ type: 'integer', min: 1, doc: '' }), 'integer ≥ 1');
  t.is(typeText({ type: 'number', min: 0, exclusiveMin: true, max: 1, doc: '' }), 'number in (0, 1]');
  t.is(typeText({ type: 'number', max: 2, doc: '' }), 'number ≤ 2');
  t.is(typeText({ type: 'enum', values: ['min', 'max'], doc: '' }), '"min" | "max"');
  t.is(typeText({ type: 'string', minLength: 1, doc: '' }), 'non-empty string');
  t.is(typeText({ type: 'string[]', doc: '' }), 'string[]');
  t.is(literal([{ name: 'a', axis: 0 }]), '[{ name: "a", axis: 0 }]');
  t.is(literal(['pad', 'eos']), '["pad", "eos"]');
  t.deepEqual(optionRows({ dir: { type: 'string', doc: 'Folder.' } }), [{ key: 'dir', type: 'string', default: undefined, doc: 'Folder.' }]);
  t.regex(optionsMarkdown(ConstantScheduler), /Options: none\.$/);
  // A pipe in an enum or a doc would break the table: escaped.
  t.regex(optionsMarkdown(PLUGIN_CLASSES.find((c) => c.meta.name === 'callback:early-stopping')!), /"min" \\\| "max"/);
});
