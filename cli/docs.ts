/**
 * `npm run docs`: regenerates the documentation that is derived from code — plugin READMEs' option
 * tables (pluginDocs.ts) and preset READMEs' `graft describe` output (presetDocs.ts). `--check`
 * writes nothing and exits 1 naming what is out of date.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { updatePluginDocs } from './pluginDocs.ts';
import { updatePresetDocs } from './presetDocs.ts';

const check = process.argv.includes('--check');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const changed = [...updatePluginDocs(root, { check }), ...(await updatePresetDocs(root, { check }))];
for (const f of changed) process.stdout.write(`${check ? 'out of date' : 'updated'}: ${f}\n`);
if (check && changed.length) {
  process.stderr.write('generated docs differ from the code: run npm run docs\n');
  process.exitCode = 1;
}
