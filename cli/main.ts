import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  clip,
  createLogger,
  createTrainer,
  ErrorCodes,
  formatSeconds,
  formatValue,
  GraftError,
  readCheckpoint,
  selectBackend,
} from '../core/index.ts';
import { parseBackendPreference } from '../core/backend/index.ts';
import { PRESETS, findPreset } from '../presets/index.ts';
import {
  configure,
  isRecipe,
  loadPluginPackages,
  parseSets,
  parseUses,
  pluginRegistry,
  recipeFromData,
  recipePreset,
  stageSpecs,
  validateRecipe,
  type RecipeData,
} from '../presets/recipe/index.ts';
import type { Preset, StageSpec } from '../presets/runner/Preset.ts';
import { describeConfig, resolveConfig } from '../presets/runner/resolveConfig.ts';
import { placeholderContext, validateRun, type RunValidation } from '../presets/runner/validateRun.ts';
import { runPreset } from '../presets/runner/runPreset.ts';
import { openRunFolder } from '../presets/runner/runFolder.ts';
import { InterruptedError, Interruption, SIGNAL_EXIT_CODES, type StopSignal } from '../presets/runner/interrupt.ts';
import { pluginCatalog } from '../plugins/catalog.ts';
import { sampleText } from '../plugins/generation/index.ts';
import { ConsoleProgressLogger, JsonlMetricsLogger } from '../plugins/loggers/index.ts';
import { intFlag, MAX_SEED, numberFlag, parseArgs, type ParsedArgs } from './args.ts';
import { newPlugin } from './newPlugin.ts';
import { describePluginCommand } from './describePlugin.ts';
import { evalCommand } from './evaluate.ts';
import { predictCommand } from './predict.ts';
import { mergeCommand } from './merge.ts';
import { exportVectorsCommand } from './exportVectors.ts';
import { tokenizeCommand } from './tokenize.ts';
import { exportCommand } from './export.ts';
import { neighboursCommand } from './neighbours.ts';
import { compareCommand, reportCommand } from './report.ts';
import { sweepCommand } from './sweep.ts';
import { workerCommand } from './worker.ts';
import { chatReplyText } from './generateChat.ts';
import { configureFromArgs, describeRecipe, legacySettings, resolveTarget } from './target.ts';

const HELP = `graft: transfer learning with language models

Usage:
  graft run <preset|recipe.yaml|recipe.json|run/config.json> [--set key=value ...] [--use stage.slot=kind:name ...]
            [--out DIR] [--backend auto|node-gpu|node|wasm|cpu] [--seed N] [--force] [--quiet]
                                      an unfinished run folder resumes where it stopped (--force: start over);
                                      --set takes any key graft describe lists (null: the plugin's default),
                                      --use swaps the plugin of a slot (pretrain.scheduler=scheduler:constant)
  graft resume <run-dir> [--backend NAME] [--quiet]
                                      continue a run with the preset, seed and configuration it recorded
  graft list                          presets and plugins
  graft describe <preset|recipe-file> [--set key=value ...] [--use stage.slot=kind:name ...]
                                      every configuration key (aliases first) with its value and meaning,
                                      and the loop with each plugin in place
  graft describe <kind>:<name>        a plugin's options (type, default, meaning), e.g. optimizer:adamw
  graft generate <checkpoint> --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K] [--seed N]
  graft generate <checkpoint> --chat --prompt TEXT   the prompt in the checkpoint tokenizer's chat template; the reply, to end-of-turn
  graft eval <run-dir|checkpoint-dir> [--data SOURCE] [--split test|validation|train] [--stage NAME] [--json] [--base DIR] [--backend NAME]
                                      metrics of a saved model on its stage's data or on --data (default split: test);
                                      a run folder means its last completed stage's final checkpoint (--stage: that one's);
                                      --base: an adapter-only checkpoint's base folder, when it moved
  graft predict <checkpoint|run-dir> (--text TEXT [--text TEXT ...] | --file in.jsonl|in.txt) [--batch-size 32]
                [--stage NAME] [--base DIR] [--backend NAME]
                                      label texts with a classifier: one JSON line each {text, label, probabilities}
  graft merge <checkpoint|run-dir> --out DIR [--base DIR] [--stage NAME] [--backend NAME]
                                      a plain full checkpoint of a saved model: an adapter-only checkpoint loaded
                                      onto its base (SHA-256 checked; --base if it moved), LoRA folded into the weights
  graft tokenize <source>... --tokenizer <checkpoint|tokenizer.json> --out DIR [--shard-tokens N]
                                      token shards on disk for dataset:token-shards (reused when inputs match)
  graft export <checkpoint|run-dir> --format hf --out DIR [--base DIR]
                                      a GPT checkpoint as Hugging Face GPT-2 (model.safetensors, config.json, tokenizer.json)
  graft export-vectors <checkpoint|run-dir> --out FILE [--param backbone.tokEmbed]
                                      the token embedding as GloVe text (special tokens left out)
  graft neighbours <vectors.txt|checkpoint|run-dir> --word WORD [--k 10]
                                      nearest words by cosine, as a table
  graft report <run-dir>              rebuild the run's report.html (graft run writes it after every stage)
  graft compare <run-dir> <run-dir>... [--out compare.html]
                                      runs side by side: the config keys that differ, final metrics (Markdown,
                                      printed and saved as .md) and every run's curves overlaid (HTML)
  graft sweep <preset|recipe-file> [--grid key=v1,v2 ...] [--seeds 1,2,3] [--set ...] --out DIR [--workers N] [--redis URL]
                                      a grid of runs (an experiment: its cells) as queued jobs run by workers; report.md in DIR
  graft worker --dir DIR [--redis URL] [--wait]
                                      run a sweep's jobs (embedded queue in DIR, or BullMQ on --redis) until none is left
  graft new plugin <name> [--kind KIND] [--dir DIR]
                                      scaffold a plugin package (its tests run Graft's conformance suite)

SIGINT (Ctrl-C) or SIGTERM: the current step finishes, a checkpoint is saved, the stage is not marked
complete and the run exits 130 (SIGINT) or 143 (SIGTERM); a second signal exits at once. The same
command, or graft resume, continues it exactly.

Exit codes: 0 success, 1 failure while running, 2 bad usage or configuration, 130/143 stopped by
SIGINT/SIGTERM (resumable).`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

/** Run the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    switch (args.command) {
      case 'help':
        io.out(HELP);
        return 0;
      case 'list':
        return list(io);
      case 'describe':
        return await describe(args, io);
      case 'run':
        return await run(args, io);
      case 'resume':
        return await resume(args, io);
      case 'generate':
        return await generate(args, io);
      case 'eval':
        return await evalCommand(args, io, backendFlag(args));
      case 'predict':
        return await predictCommand(args, io, backendFlag(args));
      case 'merge':
        return await mergeCommand(args, io, backendFlag(args));
      case 'tokenize':
        return await tokenizeCommand(args, io);
      case 'export':
        return await exportCommand(args, io);
      case 'export-vectors':
        return await exportVectorsCommand(args, io);
      case 'neighbours':
        return await neighboursCommand(args, io);
      case 'report':
        return reportCommand(args, io);
      case 'compare':
        return compareCommand(args, io);
      case 'sweep':
        return await sweepCommand(args, io, backendFlag(args));
      case 'worker':
        return await workerCommand(args, io, backendFlag(args));
      case 'new':
        return scaffold(args, io);
    }
    return 0;
  } catch (e) {
    if (e instanceof GraftError) {
      io.err(`graft: ${e.message} [${e.code}]`);
      return e.isUsageError ? 2 : 1;
    }
    io.err(`graft: ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}

function list(io: Io): number {
  io.out('Presets:');
  for (const p of Object.values(PRESETS)) io.out(`  ${p.name.padEnd(28)} ${p.description}`);
  io.out('\nPlugins:');
  for (const p of pluginCatalog()) io.out(`  ${p.name.padEnd(34)} ${p.description}`);
  return 0;
}

async function describe(args: ParsedArgs, io: Io): Promise<number> {
  if (args.positional[0]?.includes(':')) {
    io.out(describePluginCommand(args));
    return 0;
  }
  const target = await resolveTarget(args);
  if (target.kind === 'recipe') {
    const recipe = configureFromArgs(target, args);
    for (const w of validateRecipe(recipe).warnings) io.err(`graft: warning: ${w}`);
    io.out(describeRecipe(recipe));
    return 0;
  }
  const preset = target.preset;
  const config = resolveConfig(preset.name, preset.config, args.sets);
  for (const w of validateRun(preset, config).warnings) io.err(`graft: warning: ${w}`);
  io.out(`preset ${preset.name}: ${preset.description}\n\nconfiguration:\n${describeConfig(preset.config, config)}`);
  const stages = preset.stages(config);
  for (const stage of stages) {
    const ctx = { ...placeholderContext(stages), stageDir: `<out>/${stage.name}` };
    const trainer = createTrainer({ plugins: stage.plugins(ctx), options: stage.options(ctx), logger: createLogger({ console: false }) });
    io.out(`\nstage ${stage.name}: ${stage.description}\nplugins: ${trainer.plugins.map((p) => p.meta.name).join(', ')}\n${trainer.describeText()}`);
    trainer.dispose();
  }
  return 0;
}

function scaffold(args: ParsedArgs, io: Io): number {
  const [what, name, extra] = args.positional;
  if (what !== 'plugin' || !name || extra !== undefined) {
    throw new GraftError(ErrorCodes.USAGE, '"graft new" takes: plugin <name>', { received: args.positional.join(' ') });
  }
  const kind = typeof args.flags.kind === 'string' ? args.flags.kind : undefined;
  const dir = typeof args.flags.dir === 'string' ? args.flags.dir : undefined;
  const made = newPlugin({ name, kind, dir });
  io.out(`created ${made.dir}:\n${made.files.map((f) => `  ${f}`).join('\n')}\nnext: cd ${path.relative(process.cwd(), made.dir) || '.'} && npm install && npm test`);
  return 0;
}

function backendFlag(args: ParsedArgs): string | undefined {
  const b = args.flags.backend;
  if (b === undefined) return undefined;
  try {
    parseBackendPreference(String(b), '--backend');
  } catch (e) {
    throw new GraftError(ErrorCodes.USAGE, (e as Error).message);
  }
  return String(b);
}

/** `graft resume <run-dir>`: `graft run` with what the run folder's config.json recorded. */
async function resume(args: ParsedArgs, io: Io): Promise<number> {
  const [dir, extra] = args.positional;
  if (!dir) throw new GraftError(ErrorCodes.USAGE, '"graft resume" needs a run folder');
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) {
    throw new GraftError(ErrorCodes.USAGE, 'not a run folder: it has no config.json', { file: dir, hint: 'Point at the folder a "graft run" wrote (its --out)' });
  }
  let rec: { preset?: unknown; seed?: unknown; config?: unknown; recipe?: unknown; backend?: unknown; quiet?: unknown };
  try {
    rec = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.CONFIG, `not valid JSON: ${(e as Error).message}`, { file });
  }
  if (typeof rec.preset !== 'string' || !Number.isInteger(rec.seed) || typeof rec.config !== 'object' || rec.config === null) {
    throw new GraftError(ErrorCodes.CONFIG, 'does not record the run', { file, expected: '{"preset": string, "seed": integer, "config": object}' });
  }
  const flags: ParsedArgs['flags'] = { out: dir, seed: String(rec.seed) };
  const backend = args.flags.backend ?? (typeof rec.backend === 'string' ? rec.backend : undefined);
  if (backend !== undefined) flags.backend = backend;
  if (args.flags.quiet === true || rec.quiet === true) flags.quiet = true;
  // A recipe's run: its config.json is the resolved recipe, run again as it is.
  if (rec.recipe !== undefined) return run({ command: 'run', positional: [file], flags, sets: [], uses: [] }, io);
  return run({ command: 'run', positional: [rec.preset], flags, sets: [], uses: [] }, io, rec.config as Record<string, unknown>);
}

async function run(args: ParsedArgs, io: Io, recorded?: Record<string, unknown>): Promise<number> {
  // Everything that can be wrong with the command line is checked before anything is written.
  const target = await resolveTarget(args);
  let preset: Preset;
  let config: Record<string, unknown>;
  let validate: () => RunValidation;
  const record: Record<string, unknown> = {};
  if (target.kind === 'recipe') {
    const recipe = configureFromArgs(target, args);
    preset = recipePreset(recipe);
    validate = () => validateRecipe(recipe);
    config = {};
    // What the command line changed, for the reader; the recipe it resolved to is what runs again.
    if (args.sets.length || args.uses.length) record.settings = { set: parseSets(args.sets), use: parseUses(args.uses) };
  } else {
    preset = target.preset;
    config = resolveConfig(preset.name, preset.config, args.sets, recorded);
    validate = () => validateRun(preset, config);
  }
  const seed = intFlag(args.flags, 'seed', target.kind === 'recipe' ? (target.seed ?? 42) : 42, MAX_SEED);
  const backend = backendFlag(args);
  // Pre-flight, before the run folder is touched: every stage's plugins, options and data sources
  // (validateRun), then the backend (one asked for that cannot load is a CONFIG error, exit 2).
  for (const w of validate().warnings) io.err(`graft: warning: ${w}`);
  await selectBackend({ prefer: backend as never });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const outDir = path.resolve(typeof args.flags.out === 'string' ? args.flags.out : path.join('runs', `${preset.name}-${stamp}`));
  // Checked and locked before the log file is opened in it: a refused --out gets nothing written.
  const folder = openRunFolder(outDir, { warn: (m) => io.err(`graft: ${m}`) });
  let logFailure: GraftError | undefined;
  let logger: ReturnType<typeof createLogger>;
  let info: Awaited<ReturnType<typeof selectBackend>>;
  try {
    logger = createLogger({
      file: path.join(outDir, 'log.jsonl'),
      level: args.flags.quiet ? 'warn' : undefined,
      onFileError: (e) => void io.err(`graft: ${(logFailure ??= e).message} [${e.code}]`),
    });
    info = await selectBackend({ prefer: backend as never, logger });
  } catch (e) {
    folder.release();
    throw e;
  }
  io.err(`graft: backend ${info.name}; run folder ${outDir}`);

  // SIGINT and SIGTERM: finish the step, save, stop (exit 130 / 143); a second signal exits at once.
  const interrupt = new Interruption();
  const onSignal = (signal: StopSignal) => () => {
    if (interrupt.requested) {
      io.err(`graft: ${signal} again: exiting now`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
    interrupt.request(signal);
    io.err(`graft: ${signal}: finishing the current step, saving a checkpoint, then stopping (send it again to quit at once)`);
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
  try {
    const started = Date.now();
    const res = await runPreset(preset, config, seed, {
      outDir,
      runFolder: folder,
      force: args.flags.force === true,
      logger,
      interrupt,
      recordInConfig: { ...record, backend: info.name, quiet: args.flags.quiet === true },
      extraPlugins: (stageDir) =>
        args.flags.quiet
          ? [new JsonlMetricsLogger({ file: path.join(stageDir, 'metrics.jsonl') })]
          : [new ConsoleProgressLogger(), new JsonlMetricsLogger({ file: path.join(stageDir, 'metrics.jsonl') })],
    });
    for (const o of res.outcomes) {
      io.out(`\n== stage ${o.name}${o.skipped ? ' (already complete, skipped)' : ''}`);
      // Rounded for reading (4 significant digits); result.json keeps full precision.
      for (const [k, v] of Object.entries(o.result)) io.out(`${k}: ${formatValue(v)}`);
    }
    if (res.experiment) io.out(JSON.stringify(res.experiment, null, 2));
    if (logFailure) throw logFailure; // the run finished, but its log file is incomplete
    io.err(`graft: done in ${formatSeconds((Date.now() - started) / 1000)}; run folder ${outDir}${existsSync(path.join(outDir, 'report.html')) ? `; report ${path.join(outDir, 'report.html')}` : ''}`);
    return 0;
  } catch (e) {
    if (!(e instanceof InterruptedError)) throw e;
    io.err(`graft: ${e.message}; not complete: the same command, or graft resume ${outDir}, continues it`);
    return e.exitCode;
  } finally {
    for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler);
    folder.release();
  }
}

async function generate(args: ParsedArgs, io: Io): Promise<number> {
  const dir = args.positional[0];
  if (!dir) throw new GraftError(ErrorCodes.USAGE, '"graft generate" needs a checkpoint folder');
  const prompt = args.flags.prompt;
  if (typeof prompt !== 'string') throw new GraftError(ErrorCodes.USAGE, '"graft generate" needs --prompt TEXT');
  const { manifest } = readCheckpoint(dir);
  const cfg = manifest.config as { preset?: string; config?: Record<string, unknown>; recipe?: RecipeData; stage?: string } | undefined;
  if (!cfg?.preset || !cfg.stage) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'the checkpoint does not record the preset and stage that made it', { file: dir });
  }
  let stages: StageSpec[];
  if (cfg.recipe !== undefined) {
    // The recipe the checkpoint recorded, with the packages it names (resolved from here).
    const registry = pluginRegistry(await loadPluginPackages(cfg.recipe.packages ?? [], process.cwd()));
    stages = stageSpecs(recipeFromData(cfg.recipe, registry, () => ({ file: path.join(dir, 'manifest.json') })));
  } else {
    const preset = findPreset(cfg.preset);
    stages = isRecipe(preset)
      ? stageSpecs(configure(preset, { set: legacySettings(preset, cfg.config ?? {}) }))
      : preset.stages(resolveConfig(preset.name, preset.config, [], cfg.config));
  }
  const stage = stages.find((s) => s.name === cfg.stage);
  if (!stage?.inference) {
    throw new GraftError(ErrorCodes.USAGE, `stage "${cfg.stage}" of preset "${cfg.preset}" does not generate text`);
  }
  await selectBackend({ prefer: backendFlag(args) as never });
  const trainer = createTrainer({ plugins: stage.inference(dir), logger: createLogger({ level: 'warn' }) });
  try {
    await trainer.setup();
    await trainer.load(dir, { select: '**' });
    const text = args.flags.chat ? await chatReplyText(trainer, prompt, args.flags) : await sampleText(trainer, prompt, {
      maxNewTokens: intFlag(args.flags, 'max-tokens', 200),
      temperature: numberFlag(args.flags, 'temperature', 0.8),
      topK: intFlag(args.flags, 'top-k', 40),
      seed: intFlag(args.flags, 'seed', 42),
    });
    io.out(text);
    return 0;
  } finally {
    trainer.dispose();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
