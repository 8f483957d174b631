/**
 * The backend is a layer of its own (core/backend/README.md): it imports nothing from the rest of
 * core but core/errors, everything else reaches it only through its entry (core/backend/index.ts,
 * 'graftml/backend'), 'graftml' re-exports only what a user picks a backend with, and its errors
 * are coded GraftErrors. Static checks over the sources, plus the codes of two usage errors.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '../../../core/index.ts';
import * as backend from '../../../core/backend/index.ts';
import { parseThreads } from '../../../core/backend/index.ts';
import { ErrorCodes, GraftError } from '../../../core/errors/index.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const BACKEND = 'core/backend/';
/** The gradient registrations belong to the layer but live in core/runtime (see the README). */
const RUNTIME = 'core/runtime/';

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** Repository paths of the relative modules `file` imports (static, side-effect and dynamic). */
function localImports(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
}

test('the backend imports nothing from the rest of core but core/errors', (t) => {
  const bad: string[] = [];
  for (const file of [...sources(BACKEND), ...sources(RUNTIME)]) {
    for (const dep of localImports(file)) {
      const ok = dep.startsWith(BACKEND) || dep.startsWith(RUNTIME) || dep === 'core/errors/index.ts';
      if (!ok) bad.push(`${file} -> ${dep}`);
    }
  }
  t.deepEqual(bad, []);
});

test('the rest of the repository reaches the backend only through its entry', (t) => {
  const bad: string[] = [];
  for (const dir of ['core', 'plugins', 'presets', 'cli', 'bench', 'examples']) {
    for (const file of sources(dir)) {
      if (file.startsWith(BACKEND) || file.includes('/node_modules/')) continue;
      for (const dep of localImports(file)) {
        if (dep.startsWith(BACKEND) && dep !== `${BACKEND}index.ts`) bad.push(`${file} -> ${dep}`);
      }
    }
  }
  t.deepEqual(bad, []);
});

test("'graftml' re-exports only backend selection; kernels and fused ops are 'graftml/backend' only", (t) => {
  const fromBackend = Object.keys(backend).filter((k) => k in core).sort();
  t.deepEqual(fromBackend, ['ensureBackend', 'selectBackend']);
  t.is(core.selectBackend, backend.selectBackend);
  for (const k of ['registerGraftKernels', 'fusedAdamw', 'fusedGelu', 'GRAFT_KERNEL_SPECS', 'createThreadedWasmBackend']) {
    t.true(k in backend, k);
  }
});

test('the backend throws coded errors only', (t) => {
  const plain: string[] = [];
  for (const file of [...sources(BACKEND), ...sources(RUNTIME)]) {
    readFileSync(path.join(root, file), 'utf8').split('\n').forEach((line, i) => {
      if (/\bnew (?:Range|Type)?Error\(|\butil\.assert\(/.test(line)) plain.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  t.deepEqual(plain, [], 'use backendError / backendAssert (core/backend/errors.ts), or a usage-class GraftError');
});

test('a bad thread count is a configuration error', (t) => {
  const err = t.throws(() => parseThreads('0', 'GRAFT_WASM_THREADS'), { instanceOf: GraftError });
  t.is(err!.code, ErrorCodes.CONFIG);
  t.regex(err!.message, /GRAFT_WASM_THREADS: expected a whole number of threads from 1 to 8, got '0'/);
});
