import { clip, createLogger, createTrainer, ErrorCodes, GraftError, selectBackend, type GraftPlugin, type OptionSchema, type Split } from '../core/index.ts';
import type { Use } from '../presets/recipe/index.ts';
import type { ParsedArgs } from './args.ts';
import type { Io } from './main.ts';
import { checkpointPlugins, TRAINING_KINDS } from './checkpointPlugins.ts';
import { resolveCheckpointTarget } from './checkpointTarget.ts';
import { baseFlag, loadWeights } from './loadWeights.ts';
import { metricsTable } from './metricsTable.ts';
import { recordedClasses } from './recordedClasses.ts';

const SPLITS: readonly Split[] = ['test', 'validation', 'train'];

/**
 * `graft eval <run-dir|checkpoint-dir> [--data SOURCE] [--split test|validation|train] [--stage NAME] [--json]`:
 * the metrics of a saved model (`trainer.evaluate(split)`), on its stage's own data or on `--data`.
 * The stage's plugins are built without the training-only ones (`TRAINING_KINDS`), the tokenizer
 * loads from the checkpoint, and every parameter is loaded from it (`loadWeights`).
 */
export async function evalCommand(args: ParsedArgs, io: Io, backend: string | undefined): Promise<number> {
  const [target, extra] = args.positional;
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  const split = args.flags.split ?? 'test';
  if (typeof split !== 'string' || !(SPLITS as readonly string[]).includes(split)) {
    throw new GraftError(ErrorCodes.USAGE, '--split must name a split', { expected: SPLITS.join(', '), received: split });
  }
  const data = args.flags.data;
  if (data === true || data === '') throw new GraftError(ErrorCodes.USAGE, '--data needs a data source (a file, or npm:<corpus>)');
  const t = await resolveCheckpointTarget('eval', target, stringFlag(args, 'stage'));
  const kinds = new Set(t.stage.uses.map((u) => u.plugin.meta.kind));
  for (const role of ['dataset', 'objective']) {
    if (!kinds.has(role)) {
      throw new GraftError(ErrorCodes.USAGE, `stage "${t.stage.name}" has no ${role} plugin: there is nothing to evaluate`, { file: t.dir });
    }
  }
  let plugins: GraftPlugin[];
  try {
    plugins = checkpointPlugins(t, (kind) => !TRAINING_KINDS.has(kind), (u, o) => (data !== undefined && u.plugin.meta.kind === 'dataset' ? withData(u, o, data, recordedClasses(t.manifest, u.plugin.meta.name)) : o));
    // The data is checked before anything loads (files exist and parse, labels are the model's classes).
    for (const p of plugins) for (const w of p.preflight?.()?.warnings ?? []) io.err(`graft: warning: ${w}`);
  } catch (e) {
    // Bad data given to the command (or gone since the run) is the caller's input: exit 2.
    if (e instanceof GraftError && !e.isUsageError) throw e.withCode(ErrorCodes.CONFIG, data !== undefined ? { hint: `--data ${clip(data)}` } : {});
    throw e;
  }
  await selectBackend({ prefer: backend as never });
  const seed = t.manifest.trainerOptions?.seed;
  const trainer = createTrainer({
    plugins,
    options: { ...t.stage.trainer, ...(typeof seed === 'number' ? { seed } : {}) },
    logger: createLogger({ level: 'warn' }),
  });
  try {
    await trainer.setup();
    await loadWeights(trainer, t.dir, t.manifest, baseFlag(args));
    const metrics = await trainer.evaluate(split as Split);
    io.err(`graft: ${t.dir} (stage ${t.stage.name}), ${split} split${data !== undefined ? ` of ${data}` : ''}`);
    io.out(args.flags.json === true ? JSON.stringify(metrics) : metricsTable(metrics));
    return 0;
  } finally {
    trainer.dispose();
  }
}

function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The dataset's options with its data replaced by `data`: `source` (and no separate train,
 * validation, test files), or `sources` for a corpus; a labelled dataset keeps the checkpoint's
 * classes (`labels`), so class ids mean what they meant in training.
 */
function withData(u: Use, o: Record<string, unknown>, data: string, classes: string[] | undefined): Record<string, unknown> {
  const schema = u.plugin.options as OptionSchema;
  const out = { ...o };
  if ('source' in schema) {
    out.source = data;
    for (const k of ['train', 'validation', 'test']) if (k in schema) out[k] = '';
  } else if ('sources' in schema) {
    out.sources = [data];
    if ('trainTextsOf' in schema) out.trainTextsOf = '';
  } else {
    throw new GraftError(ErrorCodes.USAGE, `--data: dataset ${u.plugin.meta.name} takes no data source option`, { plugin: u.plugin.meta.name });
  }
  if (classes && 'labels' in schema) out.labels = classes;
  return out;
}
