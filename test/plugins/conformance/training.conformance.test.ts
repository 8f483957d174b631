import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { pluginConformance } from '../../conformance/index.ts';
import { EarlyStoppingCallback, EvaluateCallback, GradAccumulation, GradClipCallback, ResourceUsageCallback } from '../../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../../plugins/checkpoints/index.ts';
import { GradualUnfreezing, ParamFreezing } from '../../../plugins/freezing/index.ts';
import { ConsoleProgressLogger, JsonlMetricsLogger } from '../../../plugins/loggers/index.ts';
import { ToyDataset } from '../../helpers/toy.ts';
import { tempFolder } from './recipes.ts';

// Freezing, callbacks, checkpoints and loggers on the toy recipe. Those that act on evaluations
// get an evaluation after every step; files go to a temporary folder.

const tmp = tempFolder('graft-conf-training-');

test.before(async () => {
  await tf.setBackend('cpu');
});

test.after.always(() => tmp.remove());

const evaluateEveryStep = () => [new EvaluateCallback({ every: 1 })];

pluginConformance(test, { make: () => new ParamFreezing({ pattern: 'backbone.**' }) });

pluginConformance(test, {
  make: () => new GradualUnfreezing(),
  // 3 batches an epoch: the second epoch (and one more unfrozen group) starts at step 4, after the resume at step 2
  extra: () => [new ToyDataset({ batches: 3 })],
});

pluginConformance(test, { make: () => new GradClipCallback({ maxNorm: 0.5 }) });

pluginConformance(test, {
  make: () => new ResourceUsageCallback(),
  // Wall-clock step times and bytes held describe this process (a resumed one held its own tensors,
  // and a checkpoint written before the resume is another process's), not the training.
  ignoreFields: ['peakBytes', 'times', 'started', 'checkpointBytes', 'json.peakBytes', 'json.times'],
});

pluginConformance(test, { make: () => new EvaluateCallback({ every: 1 }) });

pluginConformance(test, {
  // Only the first evaluation improves by minDelta: the best parameters are those of step 1, kept as
  // state across the resume and put back at the end; patience outlasts the run.
  make: () => new EarlyStoppingCallback({ patience: 10, minDelta: 10, restoreBest: true }),
  extra: evaluateEveryStep,
});

pluginConformance(test, {
  title: 'callback:early-stopping (stopping at the resume point)',
  // Out of patience at step 3, the step saved: the resumed run must stop before training, as the
  // straight one did (4 batches an epoch, so the stop is not also an epoch's end).
  make: () => new EarlyStoppingCallback({ patience: 2, minDelta: 10, restoreBest: true }),
  extra: () => [...evaluateEveryStep(), new ToyDataset({ batches: 4 })],
  steps: 3,
});

pluginConformance(test, {
  make: () => new PeriodicCheckpoint({ dir: path.join(tmp.dir, 'periodic'), every: 1, keep: 2, best: true }),
  extra: evaluateEveryStep,
});

pluginConformance(test, {
  make: () => new ConsoleProgressLogger({ mode: 'bar', everyMs: 0 }, { stream: { write: () => true, isTTY: true, columns: 80 }, now: () => 0 }),
  extra: evaluateEveryStep,
  // Throughput and ETA are measured from where this process started: the resumed run starts at step N.
  ignoreFields: ['startTokens', 'startFraction'],
});

pluginConformance(test, {
  make: () => new JsonlMetricsLogger({ file: path.join(tmp.dir, 'metrics', 'metrics.jsonl'), every: 1, flushEvery: 2 }),
  extra: evaluateEveryStep,
});

pluginConformance(test, {
  // 3 micro-batches an update, 8 batches an epoch: the cycles run across the epoch's end (its last batch updates)
  make: () => new GradAccumulation({ steps: 3 }),
});
