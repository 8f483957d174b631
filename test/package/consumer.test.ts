/**
 * graftml as users get it: packed, installed from the tarball into a fresh project outside this
 * repository, used there without tsx (plain Node ESM), typechecked with `strict` against the
 * shipped declarations, run in code on wasm, through its CLI, and by a third-party plugin package
 * (examples/third-party-plugin, whose own tests run the conformance suite against the installed
 * package). Dependencies come from npm's cache (`npm ci` filled it), so this takes ~1-2 minutes.
 *
 * The tarball is packed from a staged copy of the sources, built there, so the repository's own
 * dist/ (which other tests' child processes may be running) is never rebuilt under them.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What the package is built from (package.json `files` is the filter on what it ships). */
const STAGED = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'CONTRIBUTING.md', 'LICENSE',
  'bin', 'core', 'plugins', 'presets', 'cli', 'test/conformance', 'test/helpers'];

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await exec(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

// One serial test: each part needs the install before it, and the install is the slow part.
test.serial('the packed tarball installs into a fresh project and works there: imports, types, code, CLI, a plugin package', async (t) => {
  t.timeout(8 * 60_000);
  const tmp = mkdtempSync(path.join(tmpdir(), 'graft-consumer-'));
  try {
    // --- pack -----------------------------------------------------------------------------
    const stage = path.join(tmp, 'stage');
    for (const p of STAGED) cpSync(path.join(root, p), path.join(stage, p), { recursive: true, filter: (s) => !s.endsWith('.test.ts') });
    symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
    await sh(npm, ['run', '-s', 'build'], stage);
    const packed = JSON.parse((await sh(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], stage)).stdout)[0];
    const tarball = path.join(tmp, packed.filename);
    const shipped: string[] = packed.files.map((f: { path: string }) => f.path);
    t.log(`tarball ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${shipped.length} files`);
    // What users need, and nothing else: no sources, tests, runs or bench results.
    for (const f of ['dist/core/index.js', 'dist/core/index.d.ts', 'dist/core/backend/index.js', 'dist/plugins/index.js', 'dist/presets/index.js',
      'dist/test/conformance/index.js', 'dist/cli/main.js', 'bin/graft.js', 'dist/core/backend/kernels/gemmWorker.cjs',
      'dist/core/backend/wasmThreadWorker.cjs', 'package.json', 'README.md', 'LICENSE']) {
      t.true(shipped.includes(f), `the tarball holds ${f}`);
    }
    const stray = shipped.filter((f) => /\.test\.|(^|\/)(runs|bench|measured)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    t.deepEqual(stray, [], 'no tests, TypeScript sources, runs or bench files in the tarball');

    // --- install into a plugin author's package (a copy of the example) -----------------------
    const proj = path.join(tmp, 'consumer');
    cpSync(path.join(root, 'examples/third-party-plugin'), proj, { recursive: true, filter: (s) => !/(node_modules|dist)$/.test(s) });
    await sh(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], proj);
    const installed = JSON.parse(readFileSync(path.join(proj, 'node_modules/graftml/package.json'), 'utf8'));
    t.is(installed.version, JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    t.false(existsSync(path.join(proj, 'node_modules/graftml/node_modules/@tensorflow/tfjs-core')), 'one tfjs-core: the consumer\'s');

    // (a) every entry point from plain Node ESM, no tsx
    const a = await sh(process.execPath, ['--input-type=module', '-e', `
      const g = await import('graftml'); const p = await import('graftml/plugins');
      const pr = await import('graftml/presets'); const te = await import('graftml/testing');
      const b = await import('graftml/backend'); const tfc = await import('@tensorflow/tfjs-core');
      console.log(JSON.stringify({ createTrainer: typeof g.createTrainer, sameTf: g.tf.Tensor === tfc.Tensor,
        gpt: typeof p.GptModel, presets: Object.keys(pr.PRESETS), conformance: typeof te.pluginConformance,
        backend: [typeof b.registerGraftKernels, typeof b.fusedAdamw, b.selectBackend === g.selectBackend],
        kernelsInRoot: typeof g.registerGraftKernels }));`], proj);
    t.deepEqual(JSON.parse(a.stdout), {
      createTrainer: 'function', sameTf: true, gpt: 'function',
      presets: ['gpt-next-token-pretrain', 'bert-mlm-pretrain', 'ulmfit-3-stage', 'transfer-vs-scratch', 'gpt-finetune', 'finetune-methods', 'word-vectors', 'embeddings-transfer', 'instruction-tune'], conformance: 'function',
      backend: ['function', 'function', true], kernelsInRoot: 'undefined',
    });

    // (b) a small consumer typechecks with strict against the shipped declarations, and
    // (c) runs a tiny recipe in code for a few steps on wasm, picked by createTrainer itself.
    mkdirSync(path.join(proj, 'check'));
    writeFileSync(path.join(proj, 'check/recipe.ts'), RECIPE);
    writeFileSync(path.join(proj, 'check/readme.ts'), readmeRecipe());
    writeFileSync(path.join(proj, 'check/bad.ts'), `import { GptModel } from 'graftml/plugins';\nnew GptModel({ nLayers: 'two' });\n`);
    writeFileSync(path.join(proj, 'check/tsconfig.json'), JSON.stringify({
      extends: '../tsconfig.json', compilerOptions: { noEmit: true, strict: true, noUncheckedIndexedAccess: true, rootDir: '..' }, include: ['recipe.ts', 'readme.ts'],
    }));
    await sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'check/tsconfig.json'], proj);
    // The declarations carry real types: a wrong option type is a compile error.
    const bad = await sh(process.execPath, ['node_modules/typescript/bin/tsc', '--ignoreConfig', '--noEmit', '--strict',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', 'check/bad.ts'], proj).catch((e: Error) => e);
    t.true(bad instanceof Error && /bad\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/.test(bad.message), `a wrong option type fails to compile: ${String(bad).slice(0, 300)}`);
    const c = await sh(process.execPath, ['--import=tsx', 'check/recipe.ts'], proj);
    const ran = JSON.parse(c.stdout.trim().split('\n').pop()!);
    t.is(ran.backend, 'wasm', 'createTrainer picked the wasm backend by itself');
    t.is(ran.steps, 4);
    t.true(ran.pluginClass, 'the example plugin is a PluginClass (static meta and options)');
    t.true(ran.losses.length === 4 && ran.losses.every(Number.isFinite), `losses ${ran.losses}`);
    t.regex(c.stderr + c.stdout, /using backend 'wasm'/, 'the choice is logged');
    // The README's "Use it in your project" recipe, verbatim (typechecked above): runs as written.
    const r = await sh(process.execPath, ['--import=tsx', 'check/readme.ts'], proj);
    t.regex(r.stdout, /validation_loss/);
    t.true(existsSync(path.join(proj, 'my-gpt/manifest.json')), 'the README recipe saved its checkpoint');

    // (d) the plugin package's own tests (conformance included) against the installed graftml
    const d = await sh(npm, ['test'], proj);
    t.regex(d.stdout + d.stderr, /conformance/);
    t.regex(d.stdout + d.stderr, /\b(\d+) tests? passed/);
    t.notRegex(d.stdout + d.stderr, /\bfailed\b/);
    // The plugin package builds its own dist with declarations against the installed graftml.
    await sh(npm, ['run', '-s', 'build'], proj);
    t.true(existsSync(path.join(proj, 'dist/index.d.ts')));

    // (e) the CLI: list, a tiny run, and a scaffolded plugin package that typechecks
    const list = await sh(npm, ['exec', '--', 'graft', 'list'], proj);
    t.regex(list.stdout, /gpt-next-token-pretrain/);
    t.regex(list.stdout, /callback:grad-clip|scheduler:warmup-cosine/);
    const out = path.join(tmp, 'run');
    const sets = ['data.maxChars=20000', 'model.nLayers=1', 'model.dModel=16', 'model.nHeads=2', 'model.contextLength=16',
      'train.batchSize=4', 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3', 'sample.maxTokens=5',
      'data.maxValidationBatches=1'].flatMap((s) => ['--set', s]);
    await sh(npm, ['exec', '--', 'graft', 'run', 'gpt-next-token-pretrain', ...sets, '--out', out, '--quiet'], proj);
    const result = JSON.parse(readFileSync(path.join(out, 'pretrain/result.json'), 'utf8'));
    t.is(result.steps, 3);
    t.true(Number.isFinite(result.metrics.validation_loss));
    await sh(npm, ['exec', '--', 'graft', 'new', 'plugin', 'loss-ema', '--dir', 'scaffold'], proj);
    symlinkSync(path.join(proj, 'node_modules'), path.join(proj, 'scaffold/node_modules'), 'dir');
    await sh(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'scaffold/tsconfig.json'], proj);
    const s = await sh(process.execPath, [path.join(proj, 'node_modules/ava/entrypoints/cli.mjs')], path.join(proj, 'scaffold'));
    t.regex(s.stdout + s.stderr, /conformance/);
    t.notRegex(s.stdout + s.stderr, /\bfailed\b/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** The first ```ts block of README.md's "Use it in your project" section. */
function readmeRecipe(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it in your project'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README.md has no ```ts block under "Use it in your project"');
  return m[1]!;
}

/** A recipe in code, as the README's "Use it in your project" shows it, made tiny. */
const RECIPE = `import { createTrainer, isPluginClass, tf, type GraftPlugin } from 'graftml';
import { LossSpikeGuard } from '../src/index.ts';
import { AdamwOptimizer, CharTokenizerPlugin, GptModel, LmHead, NextTokenObjective, TextCorpusDataset } from 'graftml/plugins';

const losses: number[] = [];
// A plugin written inline, using tf from 'graftml': reads the loss every step.
const probe: GraftPlugin = {
  meta: { name: 'callback:probe', kind: 'callback' },
  apply(trainer) {
    trainer.tap('afterStep', this, async (ctx) => {
      const loss: tf.Scalar | undefined = ctx.loss;
      if (loss) losses.push((await loss.data())[0]!);
    }, { stage: 'observe' });
  },
};
const trainer = createTrainer({
  plugins: [
    new TextCorpusDataset({ sources: ['npm:moby-dick'], maxChars: 20000, seqLen: 16, batchSize: 4 }),
    new CharTokenizerPlugin(),
    new GptModel({ contextLength: 16, nLayers: 1, dModel: 16, nHeads: 2 }),
    new LmHead({ tied: true }),
    new NextTokenObjective(),
    new AdamwOptimizer({ lr: 3e-3 }),
    probe,
  ],
  options: { seed: 1, maxSteps: 4 },
});
const { state } = await trainer.fit();
console.log(JSON.stringify({ backend: tf.getBackend(), steps: state.step, losses, pluginClass: isPluginClass(LossSpikeGuard) }));
trainer.dispose();
`;
