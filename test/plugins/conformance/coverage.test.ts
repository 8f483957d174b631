/**
 * Every plugin of the catalog goes through the conformance suite: this test takes the catalog's
 * classes (plugins/catalog.ts) and every test file's `pluginConformance(...)` calls, and fails
 * naming each catalog plugin whose class no call makes. It cannot pass by omission: it checks the
 * classes are the plugins `pluginCatalog()` lists, one class per name.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as P from '../../../plugins/index.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/** The text of each balanced `(...)` argument list that follows a match of `start` in `src`. */
function calls(src: string, start: RegExp): { head: RegExpExecArray; args: string }[] {
  const out: { head: RegExpExecArray; args: string }[] = [];
  const re = new RegExp(start.source, 'g');
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let depth = 1;
    let i = m.index + m[0].length;
    let quote: string | undefined;
    for (; i < src.length && depth > 0; i++) {
      const c = src[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    }
    out.push({ head: m, args: src.slice(m.index + m[0].length, i - 1) });
  }
  return out;
}

const stripComments = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Catalog plugins, from the catalog's classes and their static metadata: name → class name. */
function catalogClasses(): Map<string, string> {
  return new Map(P.PLUGIN_CLASSES.map((c) => [c.meta.name, c.name]));
}

/** Class names made by a `pluginConformance(...)` call's `make`, in every test file under test/. */
function classesThroughTheSuite(): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const file of testFiles(path.join(root, 'test'))) {
    const src = stripComments(readFileSync(file, 'utf8'));
    for (const { args } of calls(src, /\bpluginConformance\(/)) {
      for (const m of args.matchAll(/\bmake:\s*\(\)\s*=>\s*new\s+(\w+)\(/g)) {
        seen.set(m[1]!, [...(seen.get(m[1]!) ?? []), path.relative(root, file)]);
      }
    }
  }
  return seen;
}

test('every catalog plugin goes through the conformance suite', (t) => {
  const catalog = catalogClasses();
  t.is(catalog.size, P.PLUGIN_CLASSES.length, 'one class per name');
  t.deepEqual([...catalog.keys()].sort(), P.pluginCatalog().map((e) => e.name).sort(), 'the classes are the plugins pluginCatalog() lists');
  const covered = classesThroughTheSuite();
  const missing = [...catalog].filter(([, cls]) => !covered.has(cls)).map(([name, cls]) => `${name} (${cls})`);
  t.deepEqual(missing, [], `catalog plugins no pluginConformance(...) call makes: ${missing.join(', ')}`);
  t.log(`${catalog.size} catalog plugins, all through the suite`);
});

test('the scan sees calls as they are written, and not commented-out ones', (t) => {
  const src = stripComments(`
    pluginConformance(test, { make: () => new Alpha({ a: '(' }), recipe: () => [new Beta()] });
    // pluginConformance(test, { make: () => new Gamma() });
    pluginConformance(test, {
      title: 'x)',
      make: () => new Delta(),
    });`);
  const found = calls(src, /\bpluginConformance\(/).flatMap(({ args }) => [...args.matchAll(/\bmake:\s*\(\)\s*=>\s*new\s+(\w+)\(/g)].map((m) => m[1]));
  t.deepEqual(found, ['Alpha', 'Delta']);
});
