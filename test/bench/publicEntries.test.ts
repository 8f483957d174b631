/**
 * The bench measures Graft as users get it: it imports only the public entry points (core/index.ts,
 * core/backend/index.ts, plugins/index.ts, presets/index.ts) and its own files, never plugin or core
 * internals.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const PUBLIC = new Set(['core/index.ts', 'core/backend/index.ts', 'plugins/index.ts', 'presets/index.ts']);
/**
 * Measures an internal on purpose: the trainer's finite-loss flag, patched in place to time it; the
 * hooks called the way the trainer calls them, alone.
 */
const INTERNAL_ON_PURPOSE: Record<string, string[]> = {
  'bench/finiteFlag.ts': ['core/trainer/FiniteWatch.ts'],
  'bench/lib/hookDispatch.ts': ['core/hooks/tapHook.ts'],
};

test('bench imports only public entry points and its own files', (t) => {
  const bad: string[] = [];
  const files = readdirSync(path.join(root, 'bench'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  t.true(files.length > 10);
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const dep = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
      if (dep.startsWith('bench/') || PUBLIC.has(dep) || INTERNAL_ON_PURPOSE[file]?.includes(dep)) continue;
      bad.push(`${file} -> ${dep}`);
    }
  }
  t.deepEqual(bad, []);
});
