/**
 * `graft new plugin <name>`: scaffolds a third-party plugin package shaped like
 * examples/third-party-plugin: its own package.json, tsconfig, ava config, a plugin with options and
 * state, its math in a pure function, and tests that run it through Graft's conformance suite.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, GraftError } from '../core/index.ts';

export interface NewPluginOptions {
  /** Plugin name without kind, kebab-case: `loss-ema` gives `callback:loss-ema`. */
  name: string;
  /** Plugin kind (default `callback`). */
  kind?: string;
  /** Folder to create (default `./graft-plugin-<name>`). */
  dir?: string;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The installed graftml's package.json, found from this file in sources (cli/) and in dist/cli/. */
function graftPackage(): { version: string; devDependencies?: Record<string, string> } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === 'graftml') return pkg;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new GraftError(ErrorCodes.INTERNAL, "cannot find graftml's package.json above the CLI");
    dir = up;
  }
}

const pascal = (kebab: string) => kebab.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/** Writes the package; returns the folder and the files written (relative). Writes nothing on bad input. */
export function newPlugin(o: NewPluginOptions): { dir: string; files: string[] } {
  if (!NAME.test(o.name)) {
    throw new GraftError(ErrorCodes.USAGE, `bad plugin name "${o.name.slice(0, 60)}"`, { expected: 'kebab-case, e.g. loss-ema' });
  }
  const kind = o.kind ?? 'callback';
  if (!NAME.test(kind) || kind.includes('-')) {
    throw new GraftError(ErrorCodes.USAGE, `bad plugin kind "${kind.slice(0, 60)}"`, { expected: 'one lower-case word, e.g. callback, regularizer, metric' });
  }
  const dir = path.resolve(o.dir ?? `graft-plugin-${o.name}`);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new GraftError(ErrorCodes.USAGE, `${dir} exists and is not an empty folder`, { hint: 'Choose another --dir' });
  }
  const pkg = graftPackage();
  const dev = pkg.devDependencies ?? {};
  const cls = pascal(o.name);
  const full = `${kind}:${o.name}`;
  const files: Record<string, string> = {
    'package.json': JSON.stringify({
      name: `graft-plugin-${o.name}`,
      version: '0.1.0',
      description: `A Graft plugin: ${full}.`,
      type: 'module',
      license: 'MIT',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist'],
      scripts: { build: 'tsc -p tsconfig.build.json', prepare: 'npm run build', typecheck: 'tsc --noEmit', test: 'ava' },
      peerDependencies: { graftml: `^${pkg.version}` },
      devDependencies: {
        '@types/node': dev['@types/node'] ?? '20',
        ava: dev.ava ?? '7.0.0',
        graftml: `^${pkg.version}`,
        tsx: dev.tsx ?? '4',
        typescript: dev.typescript ?? '7',
      },
      ava: {
        files: ['test/**/*.test.ts'],
        extensions: { ts: 'module' },
        nodeArguments: ['--import=tsx'],
        workerThreads: false,
        timeout: '2m',
      },
    }, null, 2) + '\n',
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'],
        strict: true, skipLibCheck: true, allowImportingTsExtensions: true, rewriteRelativeImportExtensions: true,
        declaration: true, outDir: 'dist', rootDir: '.',
      },
      include: ['src', 'test'],
    }, null, 2) + '\n',
    'tsconfig.build.json': JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: 'src', sourceMap: true }, include: ['src'] }, null, 2) + '\n',
    '.gitignore': 'node_modules/\ndist/\n',
    'README.md': `# graft-plugin-${o.name}

A [Graft](https://www.npmjs.com/package/graftml) plugin, \`${full}\`. Scaffolded by \`graft new plugin ${o.name}\`.

\`\`\`ts
import { ${cls} } from 'graft-plugin-${o.name}';
createTrainer({ plugins: [/* model, dataset, ... */ new ${cls}({ decay: 0.9 })] });
\`\`\`

It keeps an exponential moving average of the training loss (\`${cls}.average\`), reading the loss
asynchronously every \`every\` steps; the average is state, so a resumed run continues it exactly.
Replace the behaviour with yours: options in \`OPTIONS\`, math in \`src/ema.ts\`, hooks in \`apply\`.

\`npm test\` runs Graft's conformance suite on the plugin (build, train, save, resume, evaluate, no
tensor leak) and the plugin's own tests. The hooks, their order and the contract for tensors and
state are in graftml's CONTRIBUTING.md.
`,
    'src/index.ts': `export { ${cls}, type ${cls}Options } from './${cls}.ts';\nexport { ema } from './ema.ts';\n`,
    'src/ema.ts': `/** Exponential moving average; the first value starts it. Pure: tested on its own. */
export function ema(prev: number | undefined, x: number, decay: number): number {
  return prev === undefined ? x : decay * prev + (1 - decay) * x;
}
`,
    [`src/${cls}.ts`]: `import { resolveOptions, type GraftPlugin, type OptionSchema, type PluginMeta, type PluginState, type TrainerApi } from 'graftml';
import { ema } from './ema.ts';

const OPTIONS = {
  decay: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'Decay of the moving average.' },
  every: { type: 'integer', default: 1, min: 1, doc: 'Read the loss every N steps.' },
} as const satisfies OptionSchema;

export interface ${cls}Options {
  decay?: number;
  every?: number;
}

export class ${cls} implements GraftPlugin {
  // Statics: recipes, \`graft describe\` and docs read the name and options without constructing it.
  static readonly meta = { name: '${full}', kind: '${kind}', description: 'Moving average of the training loss.' } as const satisfies PluginMeta;
  static readonly options = OPTIONS;
  readonly meta = ${cls}.meta;
  readonly options;
  /** The moving average (undefined before the first reading). */
  average: number | undefined;

  constructor(options: ${cls}Options = {}) {
    // Bad options fail here, naming the plugin and the option.
    this.options = resolveOptions(this.meta.name, OPTIONS, options);
  }

  apply(trainer: TrainerApi): void {
    // afterStep is async: reading the loss here does not stall the step's kernels.
    trainer.tap('afterStep', this, async (ctx) => {
      if (!ctx.loss || ctx.state.step % this.options.every !== 0) return;
      const loss = (await ctx.loss.data())[0]!;
      this.average = ema(this.average, loss, this.options.decay);
    }, { stage: 'observe' });
  }

  // Everything kept between steps is state, so a resumed run is exact.
  getState(): PluginState {
    return { json: { average: this.average ?? null } };
  }

  setState(s: PluginState): void {
    const j = (s.json ?? {}) as { average?: number | null };
    this.average = j.average ?? undefined;
  }
}
`,
    [`test/${cls}.test.ts`]: `import test from 'ava';
import { createTrainer, GraftError, silentLogger } from 'graftml';
import { pluginConformance, toyPlugins } from 'graftml/testing';
import { ${cls}, ema } from '../src/index.ts';

pluginConformance(test, { make: () => new ${cls}() });

test('ema starts at the first value, then decays', (t) => {
  t.is(ema(undefined, 4, 0.9), 4);
  t.is(ema(4, 14, 0.9), 0.9 * 4 + 0.1 * 14);
});

test('the average follows the training loss', async (t) => {
  const plugin = new ${cls}({ decay: 0 });
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 3 }), plugin], logger: silentLogger() });
  const losses: number[] = [];
  tr.tap('afterStep', 'test:probe', async (ctx) => void losses.push((await ctx.loss!.data())[0]!), { stage: 'observe' });
  await tr.fit();
  t.is(losses.length, 3);
  t.is(plugin.average, losses[2], 'decay 0: the average is the last loss');
  tr.dispose();
});

test('bad options name the option', (t) => {
  const e = t.throws(() => new ${cls}({ decay: 2 }), { instanceOf: GraftError });
  t.regex(e.message, /option "decay"/);
});
`,
  };
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { dir, files: Object.keys(files) };
}
