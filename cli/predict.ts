import * as tf from '@tensorflow/tfjs-core';
import { clip, createLogger, createTrainer, disposeBatch, ErrorCodes, GraftError, selectBackend, type OptionSchema } from '../core/index.ts';
import type { LabelledTextDataset } from '../plugins/datasets/index.ts';
import { effectiveUses, type Use } from '../presets/recipe/index.ts';
import { intFlag, type ParsedArgs } from './args.ts';
import { checkpointPlugins } from './checkpointPlugins.ts';
import { resolveCheckpointTarget, type CheckpointTarget } from './checkpointTarget.ts';
import { baseFlag, loadWeights } from './loadWeights.ts';
import type { Io } from './main.ts';
import { predictInputs } from './predictInputs.ts';
import { recordedClasses } from './recordedClasses.ts';

/** The parts of a classifier that predicting needs: no data, objective, metric or training plugin. */
const PREDICT_KINDS: ReadonlySet<string> = new Set(['tokenizer', 'model', 'head', 'adapter']);
/** How much of each text a prediction line repeats. */
const TEXT_CHARS = 80;

/**
 * `graft predict <checkpoint-or-run-dir> (--text TEXT ... | --file in.jsonl|in.txt) [--batch-size 32]`:
 * one JSON line per text, `{"text", "label", "probabilities"}`, from a classifier checkpoint (a stage
 * with a labelled dataset and a head). Texts are encoded and padded by the stage's own dataset
 * (`textBatches`: tokenizer, maxLen, padding) with the checkpoint's tokenizer; the forward pass runs
 * in evaluation mode, a batch at a time, inside `tf.tidy`. Class names are those the dataset saved.
 */
export async function predictCommand(args: ParsedArgs, io: Io, backend: string | undefined): Promise<number> {
  const [target, extra] = args.positional;
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  const batchSize = intFlag(args.flags, 'batch-size', 32);
  if (batchSize < 1) throw new GraftError(ErrorCodes.USAGE, '--batch-size must be at least 1', { received: batchSize });
  const stage = typeof args.flags.stage === 'string' ? args.flags.stage : undefined;
  const texts = predictInputs(args);
  const t = await resolveCheckpointTarget('predict', target, stage);
  const dataUse = classifierDataset(t);
  const classes = recordedClasses(t.manifest, dataUse.plugin.meta.name);
  if (!classes) {
    throw new GraftError(ErrorCodes.USAGE, 'the checkpoint does not record its class names', {
      file: t.dir,
      hint: `Checkpoints of ${dataUse.plugin.meta.name} record them since graft predict exists; save this one again (or fix the classes with its labels option)`,
    });
  }
  // The head's number of classes from the checkpoint (it would otherwise ask the dataset, which is not loaded).
  const plugins = checkpointPlugins(t, (kind) => PREDICT_KINDS.has(kind), (u, o) =>
    u.plugin.meta.kind === 'head' && 'numClasses' in (u.plugin.options as OptionSchema) && o.numClasses === undefined ? { ...o, numClasses: classes.length } : o,
  );
  // Built, never applied: only its encoding and padding are used.
  const [dataset] = checkpointPlugins(t, (kind) => kind === 'dataset') as [LabelledTextDataset];
  await selectBackend({ prefer: backend as never });
  const trainer = createTrainer({ plugins, logger: createLogger({ level: 'warn' }) });
  try {
    await trainer.setup();
    await loadWeights(trainer, t.dir, t.manifest, baseFlag(args));
    const tokenizer = trainer.role('tokenizer').tokenizer;
    let i = 0;
    for (const batch of dataset.textBatches(texts, tokenizer, batchSize)) {
      let probs: Float32Array;
      let C: number;
      try {
        const p = tf.tidy(() => {
          const logits = trainer.forward(batch, false).logits;
          if (!logits) throw new GraftError(ErrorCodes.INTERNAL, 'the head gave no logits', { plugin: trainer.role('head').meta.name });
          return tf.softmax(logits);
        });
        C = p.shape[1]!;
        probs = (await p.data()) as Float32Array;
        p.dispose();
      } finally {
        disposeBatch(batch);
      }
      if (C !== classes.length) {
        throw new GraftError(ErrorCodes.CHECKPOINT, `the model gives ${C} classes but the checkpoint names ${classes.length}`, { file: t.dir });
      }
      for (let r = 0; r < probs.length / C; r++, i++) {
        const row = probs.subarray(r * C, (r + 1) * C);
        let best = 0;
        for (let c = 1; c < C; c++) if (row[c]! > row[best]!) best = c;
        const text = Array.from(texts[i]!).slice(0, TEXT_CHARS).join('');
        io.out(JSON.stringify({ text, label: classes[best], probabilities: Object.fromEntries(classes.map((name, c) => [name, row[c]])) }));
      }
    }
    return 0;
  } finally {
    trainer.dispose();
  }
}

/**
 * The labelled dataset of a classifier checkpoint's stage: one that encodes texts (`textBatches`)
 * beside a head. A language model's checkpoint is a USAGE error pointing to `graft generate`.
 */
function classifierDataset(t: CheckpointTarget): Use {
  const uses = effectiveUses(t.stage);
  const of = (kind: string) => uses.find((u) => u.plugin.meta.kind === kind);
  const dataset = of('dataset');
  const head = of('head');
  if (dataset && head && typeof (dataset.plugin as unknown as { prototype: { textBatches?: unknown } }).prototype.textBatches === 'function') return dataset;
  const names = uses.map((u) => u.plugin.meta.name);
  if (names.some((n) => n === 'head:lm' || n === 'objective:next-token' || n === 'objective:masked-lm')) {
    throw new GraftError(ErrorCodes.USAGE, `stage "${t.stage.name}" made a language model, not a classifier: predict labels texts with a classifier`, {
      file: t.dir,
      hint: `To continue a text with it: graft generate ${t.dir} --prompt TEXT`,
    });
  }
  throw new GraftError(ErrorCodes.USAGE, `stage "${t.stage.name}" is not a classifier`, {
    file: t.dir,
    expected: 'a checkpoint of a stage with a labelled dataset (dataset:labelled-text) and a head (head:classifier)',
    received: names.join(', '),
  });
}
