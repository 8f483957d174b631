import * as tf from '@tensorflow/tfjs-core';
import { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncBailHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type { Batch, Outputs } from '../data/Batch.ts';
import type {
  CheckpointContext,
  ErrorContext,
  EvalBatchContext,
  EvalContext,
  GradMap,
  LossContext,
  Metrics,
  RunContext,
  SetupContext,
  StepContext,
} from './contexts.ts';

/**
 * The trainer's hooks: the only place core hooks are declared. The loop, with every hook in place:
 *
 * ```text
 * trainer.fit()
 *   setup(ctx)                               async; stages data → tokenizer → encode → build → init → adapt → optimizer
 *   (epochs raised to reach options.minSteps, now that batches per epoch are known)
 *   beforeRun(ctx)                           async; the run's length is final here (schedules size themselves)
 *   try:
 *     for epoch in epochs:
 *       beforeEpoch(ctx)                     async
 *       for batch in dataset.batches('train', {epoch, from: resume position}):
 *         beforeStep(ctx)                    sync; ctx.control.skipBatch() cancels the step
 *         batch = transformBatch(batch, ctx) sync waterfall, in a tf.tidy (MLM masking, augmentation)
 *         ┌ inside the gradient tape ──────────────────────────────────────────────┐
 *         │ ctx.modelOutputs = model(batch); outputs = head(ctx.modelOutputs)      │
 *         │ outputs = afterForward(outputs, ctx)   sync waterfall                   │
 *         │ loss = objective(outputs, batch)                                       │
 *         │ loss = onLoss(loss, ctx)               sync waterfall: add regularisers │
 *         └────────────────────────────────────────────────────────────────────────┘
 *         ┌ in one tf.tidy ────────────────────────────────────────────────────────┐
 *         │ grads = afterBackward(grads, ctx)      sync waterfall: accumulate, clip │
 *         │ beforeOptimizerStep(ctx)               sync: schedulers hand over rate× │
 *         │ optimizer.step(grads)                  unless control.skipOptimizerStep │
 *         │ afterOptimizerStep(ctx)                sync, also when skipped          │
 *         └────────────────────────────────────────────────────────────────────────┘
 *         state.step++                       unless the update was skipped (so every hook
 *                                            above sees the old step, afterStep the new one)
 *         finite flag ← loss                 first non-finite step, last finite loss (wasm/cpu: one scalar
 *                                            read; other backends: on the device, no read)
 *         afterStep(ctx)                     async: log, evaluate, checkpoint; reverse order; its taps run
 *                                            synchronously until one returns a promise (runSeries)
 *         every checkFiniteEvery steps: check the flag; a non-finite loss throws GRAFT_ERR_NON_FINITE
 *         (if cancelled: afterCancelStep(ctx), sync, always)
 *         shouldStop(ctx)                    sync bail: return a reason to stop the run
 *       afterEpoch(ctx)                      async; reverse order; runs when the epoch ends or is ended
 *                                            (endEpoch, stopRun, maxSteps, shouldStop), not after an error
 *     read the finite flag                   a diverged run always ends with GRAFT_ERR_NON_FINITE
 *   catch error:
 *     onError({phase: 'fit'})                async; then the error is rethrown
 *   finally:
 *     afterRun(ctx)                          async, always runs (after an error too); reverse order
 *
 * trainer.evaluate(split)
 *   try:
 *     read the finite flag                   a diverged model is not evaluated (GRAFT_ERR_NON_FINITE)
 *     beforeEval(ctx)                        async
 *     for batch:
 *       batch = transformEvalBatch(batch, ctx)              sync waterfall, in a tf.tidy (MLM masking, fixed per evaluation)
 *       outputs, loss (no gradients); evalBatch(ctx)        sync: metrics accumulate
 *     metrics = afterEval({<split>_loss}, ctx)              async waterfall: plugins add theirs
 *                                                           (<split>_perplexity, <split>_accuracy, ...)
 *   catch error:
 *     onError({phase: 'evaluate'})           async: release what beforeEval set up; then rethrown
 *
 * trainer.save(dir, {params})   try: finite flag → beforeSave(ctx) → finite tensors → write → afterSave(ctx)   catch: onError({phase: 'save'})
 *                     (params 'trainable': only what trained or differs from the base checkpoint, whose hash is checked first)
 * trainer.load(dir)   try: read (an adapter-only checkpoint: its base first, hash checked) → afterLoad(ctx)   catch: onError({phase: 'load'})
 * (setup: catch: onError({phase: 'setup'}). An evaluate or save run from inside fit that fails is
 * reported twice, with its own phase first, then with 'fit': the same error object.)
 * ```
 *
 * Evaluation pairing: every `beforeEval` is closed, by `afterEval` when the evaluation succeeds,
 * by `onError` with phase `'evaluate'` whenever anything after `beforeEval` began throws (a
 * `beforeEval` tap, a batch, an `afterEval` tap). A plugin that swaps something in on `beforeEval`
 * (averaged weights, a mode, a masking stream) swaps it back on both; its `onError` must cope with
 * its own `beforeEval` not having run, or its `afterEval` having already run (make it idempotent).
 *
 * Order of taps: by named stage (`Stages`, the same order on every hook, so `observe` always
 * sees final values), then by the order plugins were applied. Hooks named `after*` that pair with
 * a `before*` (afterRun, afterEpoch, afterStep, afterSave; not afterEval, a waterfall where metrics
 * add values) run the taps of one stage in reverse application order, so a plugin can undo in
 * `afterX` what it did in `beforeX` while the others' changes are still in place. Tap with `trainer.tap(...)` to get stages, reverse
 * order and checks; `hooks.X.tap` is tapable's raw API and bypasses them.
 */
export class TrainerHooks {
  readonly setup = new AsyncSeriesHook<[SetupContext]>(['ctx']);
  readonly beforeRun = new AsyncSeriesHook<[RunContext]>(['ctx']);
  readonly beforeEpoch = new AsyncSeriesHook<[RunContext]>(['ctx']);
  readonly beforeStep = new SyncHook<[StepContext]>(['ctx']);
  readonly transformBatch = new SyncWaterfallHook<[Batch, StepContext]>(['batch', 'ctx']);
  readonly afterForward = new SyncWaterfallHook<[Outputs, StepContext]>(['outputs', 'ctx']);
  readonly onLoss = new SyncWaterfallHook<[tf.Scalar, LossContext]>(['loss', 'ctx']);
  readonly afterBackward = new SyncWaterfallHook<[GradMap, StepContext]>(['grads', 'ctx']);
  readonly beforeOptimizerStep = new SyncHook<[StepContext]>(['ctx']);
  readonly afterOptimizerStep = new SyncHook<[StepContext]>(['ctx']);
  readonly afterStep = new AsyncSeriesHook<[StepContext]>(['ctx']);
  readonly afterCancelStep = new SyncHook<[StepContext]>(['ctx']);
  readonly shouldStop = new SyncBailHook<[StepContext], string | undefined>(['ctx']);
  readonly afterEpoch = new AsyncSeriesHook<[RunContext]>(['ctx']);
  readonly afterRun = new AsyncSeriesHook<[RunContext]>(['ctx']);
  readonly onError = new AsyncSeriesHook<[ErrorContext]>(['ctx']);
  readonly beforeEval = new AsyncSeriesHook<[EvalContext]>(['ctx']);
  readonly transformEvalBatch = new SyncWaterfallHook<[Batch, EvalContext]>(['batch', 'ctx']);
  readonly evalBatch = new SyncHook<[EvalBatchContext]>(['ctx']);
  readonly afterEval = new AsyncSeriesWaterfallHook<[Metrics, EvalContext]>(['metrics', 'ctx']);
  readonly beforeSave = new AsyncSeriesHook<[CheckpointContext]>(['ctx']);
  readonly afterSave = new AsyncSeriesHook<[CheckpointContext]>(['ctx']);
  readonly afterLoad = new AsyncSeriesHook<[CheckpointContext]>(['ctx']);

  constructor() {
    Object.freeze(this);
  }
}

export type HookName = keyof TrainerHooks;

/** Hooks whose taps run in reverse order of application: the closing half of a before/after pair. */
// afterEval is not here: it is a waterfall where metrics add values, not the closing half of a pair.
export const REVERSED_HOOKS: ReadonlySet<HookName> = new Set<HookName>(['afterRun', 'afterEpoch', 'afterStep', 'afterSave']);

/** Hook names, for checks and `describe`, in loop order. */
export const HOOK_NAMES: readonly HookName[] = Object.keys(new TrainerHooks()) as HookName[];

/** The arguments a tap on hook `H` receives. */
export type HookArgs<H extends HookName> = TrainerHooks[H] extends { call: (...args: infer A) => unknown }
  ? A
  : TrainerHooks[H] extends { promise: (...args: infer A) => unknown }
    ? A
    : never;
