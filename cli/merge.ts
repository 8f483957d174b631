import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  clip,
  createLogger,
  createTrainer,
  ErrorCodes,
  GraftError,
  MANIFEST,
  readCheckpoint,
  saveCheckpoint,
  selectBackend,
  type CheckpointSource,
  type GraftPlugin,
  type Manifest,
  type NamedArray,
  type OptionSchema,
  type Trainer,
} from '../core/index.ts';
import { LoraAdapter } from '../plugins/adapters/index.ts';
import { effectiveUses } from '../presets/recipe/index.ts';
import type { ParsedArgs } from './args.ts';
import { checkpointPlugins } from './checkpointPlugins.ts';
import { resolveCheckpointTarget, type CheckpointTarget } from './checkpointTarget.ts';
import { baseFlag, loadWeights } from './loadWeights.ts';
import type { Io } from './main.ts';
import { recordedClasses } from './recordedClasses.ts';

/** What the model computes with: no data, objective, metric or training plugin. */
const MODEL_KINDS: ReadonlySet<string> = new Set(['tokenizer', 'model', 'head', 'adapter']);

/**
 * `graft merge <checkpoint|run-dir> --out DIR [--base DIR] [--stage NAME] [--backend NAME]`: a plain
 * full checkpoint of the model a checkpoint holds, for using it (eval, predict, generate, a next
 * stage's `init:from-checkpoint`) without its base or adapter. The stage's model plugins (tokenizer,
 * model, head, adapters) are built and every parameter loaded: an adapter-only checkpoint onto its
 * base, whose SHA-256 is checked (`GRAFT_ERR_BASE_CHECKPOINT` otherwise; `--base` when the base
 * moved). LoRA is folded into the weights (`LoraAdapter.merge`: `w + (alpha/r) A @ B`, the forward's
 * own arithmetic), so the merged checkpoint has no `adapter.lora.*` parameter, does not record
 * `adapter:lora` (which `graft eval`/`predict` then leave out), and drops the optimizer's state (its
 * moments belonged to the removed factors). A checkpoint without LoRA (BitFit, a linear probe) is
 * written as the full checkpoint, plugin state included. Other plugins' options and state, the run
 * state and the recorded recipe are kept; trainable flags are the checkpoint's. Written atomically
 * with the checkpoint writer; nothing is written when anything fails before.
 */
export async function mergeCommand(args: ParsedArgs, io: Io, backend: string | undefined): Promise<number> {
  const [target, extra] = args.positional;
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  const out = args.flags.out;
  if (typeof out !== 'string' || out === '') throw new GraftError(ErrorCodes.USAGE, '"graft merge" needs --out DIR, the folder to write the merged checkpoint to');
  const base = baseFlag(args);
  const t = await resolveCheckpointTarget('merge', target, stringFlag(args, 'stage'));
  checkOut(out, t.dir);
  const classes = datasetClasses(t);
  const plugins = checkpointPlugins(t, (kind) => MODEL_KINDS.has(kind), (u, o) =>
    classes && u.plugin.meta.kind === 'head' && 'numClasses' in (u.plugin.options as OptionSchema) && o.numClasses === undefined ? { ...o, numClasses: classes.length } : o,
  );
  await selectBackend({ prefer: backend as never });
  const trainer = createTrainer({ plugins, logger: createLogger({ level: 'warn' }) });
  try {
    await trainer.setup();
    await loadWeights(trainer, t.dir, t.manifest, base);
    const merged: string[] = [];
    const mergedPlugins = new Set<string>();
    for (const p of trainer.plugins) {
      if (!(p instanceof LoraAdapter) || p.targets.length === 0) continue;
      merged.push(...p.merge());
      mergedPlugins.add(p.meta.name);
    }
    // The checkpoint's trainable flags, not those the adapters set when this trainer was built.
    for (const [name, meta] of Object.entries(t.manifest.params)) {
      if (trainer.params.has(name) && trainer.params.entry(name).trainable !== meta.trainable) trainer.params.setTrainable(name, meta.trainable);
    }
    const state = readCheckpoint(t.dir, base !== undefined ? { base } : {}).state;
    await writeMerged(out, trainer, t.manifest, state, (name, kind) => !mergedPlugins.has(name) && !(merged.length > 0 && kind === 'optimizer'));
    io.err(
      merged.length
        ? `graft: folded LoRA into ${merged.length} weight${merged.length > 1 ? 's' : ''} (${merged.slice(0, 3).join(', ')}${merged.length > 3 ? ', ...' : ''})`
        : 'graft: no LoRA adapter to fold; the full checkpoint is written as it loads',
    );
    io.out(path.resolve(out));
    return 0;
  } finally {
    trainer.dispose();
  }
}

/** `--out` may be a new folder or an earlier checkpoint folder; never the input, a file, or a folder holding something else. */
function checkOut(out: string, input: string): void {
  const dir = path.resolve(out);
  if (dir === path.resolve(input)) throw new GraftError(ErrorCodes.USAGE, '--out is the checkpoint being merged', { file: out, hint: 'Write the merged checkpoint to another folder' });
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new GraftError(ErrorCodes.USAGE, '--out is a file', { file: out, expected: 'a new folder, or a checkpoint folder to replace' });
  if (readdirSync(dir).length > 0 && !existsSync(path.join(dir, MANIFEST))) {
    throw new GraftError(ErrorCodes.USAGE, '--out is a folder that holds something other than a checkpoint; refusing to replace it', { file: out, hint: 'Name a new folder' });
  }
}

/** The class names the stage's dataset recorded, if it did (a classifier head takes its size from them). */
function datasetClasses(t: CheckpointTarget): string[] | undefined {
  const dataset = effectiveUses(t.stage).find((u) => u.plugin.meta.kind === 'dataset');
  return dataset ? recordedClasses(t.manifest, dataset.plugin.meta.name) : undefined;
}

/**
 * Write the trainer's parameters with the checkpoint's run state and the plugins it recorded
 * (those `keep` accepts), as they were saved: each stands in for its plugin with its recorded
 * options and state, so what is not a parameter passes through unchanged.
 */
async function writeMerged(out: string, trainer: Trainer, m: Manifest, state: Record<string, NamedArray>, keep: (name: string, kind: string) => boolean): Promise<void> {
  const made: tf.Tensor[] = [];
  const plugins: GraftPlugin[] = Object.entries(m.plugins ?? {})
    .filter(([name, e]) => keep(name, e.kind))
    .map(([name, e]) => ({
      meta: { name, kind: e.kind },
      ...(e.options ? { options: e.options } : {}),
      apply: () => undefined,
      getState: () => {
        if (e.state === undefined && !e.tensors) return undefined;
        const tensors: Record<string, tf.Tensor> = {};
        for (const k of e.tensors ?? []) {
          const a = state[`${name}/${k}`]!;
          const tensor = tf.tensor(a.data, a.shape, a.dtype);
          made.push(tensor);
          tensors[k] = tensor;
        }
        return { json: e.state, ...(e.tensors ? { tensors } : {}) };
      },
    }));
  const source: CheckpointSource = {
    params: trainer.params,
    plugins,
    state: m.state,
    options: m.trainerOptions ?? {},
    rngState: () => ({ ...m.rng }),
    resources: trainer.resources,
  };
  try {
    await saveCheckpoint(out, source, m.config);
  } finally {
    tf.dispose(made);
  }
}

function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
