import * as tf from '@tensorflow/tfjs-core';
import '../runtime/registerGradients.ts';
import { inject, injectable } from 'inversify';
import type { Logger } from 'winston';
import { TOKENS } from '../di/tokens.ts';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { batchCounts, disposeBatch, type Batch, type BatchCounts, type Outputs, type Split } from '../data/Batch.ts';
import type { ErrorContext, EvalBatchContext, EvalContext, GradMap, LossContext, Metrics, RunContext, StepContext } from '../hooks/contexts.ts';
import { CancelStep, Control } from '../hooks/Control.ts';
import { describeHooks, formatDescription, traceHooks, type HookDescription } from '../hooks/describe.ts';
import { runSeries, tapHook } from '../hooks/tapHook.ts';
import type { HookName, TrainerHooks } from '../hooks/TrainerHooks.ts';
import { Interceptors } from '../model/Interceptors.ts';
import type { ParameterStore, ParamEntry } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import { ROLE_METHODS, type DecodeState, type ForwardContext, type RoleName, type Roles } from '../plugin/roles.ts';
import { validatePlugins } from '../plugin/validatePlugins.ts';
import { Rng } from '../random/index.ts';
import { loadCheckpoint, type LoadOptions } from '../checkpoint/loadCheckpoint.ts';
import { saveCheckpoint, type SaveOptions } from '../checkpoint/saveCheckpoint.ts';
import { readCheckpointManifest } from '../checkpoint/readCheckpoint.ts';
import { FiniteWatch } from './FiniteWatch.ts';
import { ensureBackend } from '../backend/index.ts';
import { CoreResources, Resources } from './Resources.ts';
import type { OutputInterceptor, TapFn, TapOptions, TrainerApi } from './TrainerApi.ts';
import type { TrainerOptions } from './TrainerOptions.ts';
import { epochsForMinSteps, initialState, type TrainState } from './TrainState.ts';
import { yieldToEventLoop } from './yieldToEventLoop.ts';

export interface FitResult {
  state: TrainState;
  metrics: Metrics;
  stopReason: string;
}

/**
 * The training loop. It owns no model, data or objective of its own: plugins fill those roles,
 * and everything else happens in hooks (see `TrainerHooks` for the loop drawn as pseudocode).
 */
@injectable()
export class Trainer implements TrainerApi {
  readonly state: TrainState;
  readonly control = new Control();
  readonly resources = new Resources();
  readonly runContext: RunContext;
  private readonly roles: Partial<Roles> = {};
  private readonly interceptors = new Interceptors();
  private readonly dropoutRng: Rng;
  private setupDone = false;
  private disposed = false;
  /** The running step's batch after `transformBatch`, gradients not yet freed, and whether it counted. */
  private readonly stepState: { transformed: Batch | undefined; rawGrads: tf.NamedTensorMap | undefined; consumed: boolean } = {
    transformed: undefined,
    rawGrads: undefined,
    consumed: false,
  };
  /** The trainable parameters' names, in `trainableVars`' order. */
  private trainableNames: string[] = [];
  private trainableVersion = -1;
  private trainableVars: tf.Variable[] = [];
  private readonly stepCtx: StepContext;
  private readonly trainCtx: ForwardContext;
  private readonly evalCtx: ForwardContext;
  /** Whether the training loss stayed finite: updated on device every step, read only at checks. */
  private readonly finite = new FiniteWatch();

  constructor(
    @inject(TOKENS.TrainerOptions) readonly options: TrainerOptions,
    @inject(TOKENS.Logger) readonly logger: Logger,
    @inject(TOKENS.Hooks) readonly hooks: TrainerHooks,
    @inject(TOKENS.Params) readonly params: ParameterStore,
    @inject(TOKENS.Rng) readonly rng: Rng,
    @inject(TOKENS.PluginSet) readonly plugins: GraftPlugin[],
  ) {
    this.state = initialState(options.epochs, options.maxSteps);
    this.runContext = { trainer: this, state: this.state, control: this.control };
    this.stepCtx = { ...this.runContext, batch: {}, outputs: undefined, modelOutputs: undefined, loss: undefined, grads: undefined };
    this.dropoutRng = rng.fork('dropout');
    this.trainCtx = this.makeForwardContext(true);
    this.evalCtx = this.makeForwardContext(false);
    validatePlugins(plugins);
    for (const p of plugins) {
      if (p.meta.kind in ROLE_METHODS) this.bindRole(p.meta.kind as RoleName, p);
    }
    for (const p of plugins) p.apply(this);
  }

  private bindRole(role: RoleName, p: GraftPlugin): void {
    for (const m of ROLE_METHODS[role]) {
      if (typeof (p as unknown as Record<string, unknown>)[m] !== 'function') {
        throw new GraftError(ErrorCodes.BAD_PLUGIN, `is of kind "${role}" but has no ${m}() method`, {
          plugin: p.meta.name,
          hint: `A ${role} plugin implements ${ROLE_METHODS[role].join(', ')}`,
        });
      }
    }
    (this.roles as Record<string, GraftPlugin>)[role] = p;
  }

  role<R extends RoleName>(name: R): Roles[R] {
    const r = this.roles[name];
    if (!r) {
      throw new GraftError(ErrorCodes.MISSING_ROLE, `the recipe has no ${name} plugin`, {
        hint: `Add a plugin of kind "${name}" (see \`graft list\`)`,
      });
    }
    return r;
  }

  maybeRole<R extends RoleName>(name: R): Roles[R] | undefined {
    return this.roles[name];
  }

  plugin<P extends GraftPlugin = GraftPlugin>(name: string): P | undefined {
    return this.plugins.find((p) => p.meta.name === name) as P | undefined;
  }

  tap<H extends HookName>(hook: H, plugin: GraftPlugin | string, fn: TapFn<H>, opts: TapOptions = {}): void {
    const name = typeof plugin === 'string' ? plugin : plugin.meta.name;
    tapHook(this.hooks, hook, name, fn as (...a: unknown[]) => unknown, opts);
  }

  interceptOutput(owner: string, pattern: string, fn: OutputInterceptor): void {
    this.interceptors.add(owner, pattern, fn);
  }

  forwardContext(training: boolean): ForwardContext {
    return training ? this.trainCtx : this.evalCtx;
  }

  private makeForwardContext(training: boolean): ForwardContext {
    const interceptors = this.interceptors;
    return {
      training,
      params: this.params,
      rng: this.dropoutRng,
      intercept: (name, x) => interceptors.apply(name, x, training),
      intercepts: (name) => interceptors.has(name),
    };
  }

  /** Each hook with its taps in run order. */
  describe(): HookDescription[] {
    return describeHooks(this.hooks);
  }

  describeText(): string {
    return formatDescription(this.describe());
  }

  /** Record "hook:plugin" for every tap call into `record`; returns a stop function. */
  trace(record: string[]): () => void {
    return traceHooks(this.hooks, record);
  }

  /** Build data, tokenizer, parameters and optimizer state: the `setup` hook. Runs once. */
  async setup(): Promise<void> {
    if (this.setupDone) return;
    // Only the model is needed to set up (inference); fit and evaluate check their own roles.
    this.role('model');
    await this.guard('setup', async () => {
      await ensureBackend(this.options.backend, this.logger);
      await this.hooks.setup.promise(this.runContext);
      this.finite.init();
    });
    this.setupDone = true;
    this.logger.info(`parameters: ${this.params.count()} (${this.params.count({ trainableOnly: true })} trainable)`);
  }

  /** Train. Resumes from the state's data position if a checkpoint was loaded. */
  async fit(): Promise<FitResult> {
    this.role('objective');
    this.role('optimizer');
    const dataset = this.role('dataset');
    await this.setup();
    const { state, control, hooks, runContext } = this;
    control.stopReason = undefined;
    state.stopReason = undefined;
    state.training = true;
    let failed = false;
    try {
      // The run's length once the data is known (schedules and progress read it at beforeRun);
      // from the options every time, so a resumed run gets the same length.
      if (this.options.minSteps > 0) state.maxEpochs = epochsForMinSteps(this.options.epochs, this.options.minSteps, dataset.numBatches('train'));
      await hooks.beforeRun.promise(runContext);
      while (!control.stopping && state.epoch < state.maxEpochs) {
        control.epochEnding = false;
        await hooks.beforeEpoch.promise(runContext);
        const total = dataset.numBatches('train');
        if (total === 0) throw new GraftError(ErrorCodes.DATA, 'the training split has no batches', { plugin: dataset.meta.name });
        // Resumed from the checkpoint of its last step: no step is left, but the epoch end and the run
        // end still run, as after that step in the run that wrote the checkpoint (an evaluation at
        // the epoch end, say), so the resumed run ends exactly as that one did.
        if (state.maxSteps > 0 && state.step >= state.maxSteps) control.stopRun('max-steps');
        const it = control.stopping ? [] : dataset.batches('train', { epoch: state.epoch, from: state.batchInEpoch });
        for (const batch of it) {
          const pending = this.runStep(batch);
          if (pending) await pending;
          // Awaited only when it yields: awaiting undefined would still cost a microtask turn a step.
          const yielded = yieldToEventLoop();
          if (yielded) await yielded;
          if (state.maxSteps > 0 && state.step >= state.maxSteps) control.stopRun('max-steps');
          if (control.stopping || control.epochEnding) break;
        }
        const finished = control.epochEnding || state.batchInEpoch >= total;
        await hooks.afterEpoch.promise(runContext);
        if (finished) {
          state.epoch++;
          state.batchInEpoch = 0;
        }
      }
      // However the run stops, the loss flag is read once more: a diverged run never ends without an error.
      await this.assertFinite();
      if (!control.stopping) control.stopRun(state.epoch >= state.maxEpochs ? 'max-epochs' : 'done');
    } catch (error) {
      failed = true;
      // 'error' even if the run was already stopping (a failed check after max steps): afterRun taps
      // (checkpoint:periodic's final save) must know the run failed.
      control.stopReason = 'error';
      await this.reportError(error, 'fit');
      throw error;
    } finally {
      state.training = false;
      state.stopReason = control.stopReason;
      try {
        await hooks.afterRun.promise(runContext);
      } catch (e) {
        if (!failed) throw e;
        this.logger.error(`afterRun failed after an earlier error: ${(e as Error).message}`);
      }
    }
    return { state, metrics: { ...state.metrics }, stopReason: control.stopReason ?? 'done' };
  }

  private refreshTrainable(): void {
    if (this.params.version === this.trainableVersion) return;
    const entries: readonly ParamEntry[] = this.params.trainable();
    this.trainableVars = entries.map((e) => e.variable);
    this.trainableNames = entries.map((e) => e.name);
    this.trainableVersion = this.params.version;
  }

  /**
   * One step. Synchronous unless an `afterStep` tap returns a promise or the loss check runs (every
   * `checkFiniteEvery` steps): then it returns the promise of the rest. An async method would cost
   * a promise and an await every step (a few µs of the micro GPT's ~1 ms: bench's hook overhead).
   */
  private runStep(batch0: Batch): Promise<void> | undefined {
    const ctx = this.stepCtx;
    const s = this.stepState;
    ctx.batch = batch0;
    ctx.outputs = ctx.loss = ctx.grads = undefined;
    this.control.optimizerSkipped = false;
    s.transformed = batch0;
    s.rawGrads = undefined;
    s.consumed = false;
    let rest: Promise<void> | undefined;
    try {
      rest = this.stepThrough(batch0);
    } catch (e) {
      return this.endStep(batch0, true, e);
    }
    if (!rest) return this.endStep(batch0, false, undefined);
    return rest.then(() => this.endStep(batch0, false, undefined), (e: unknown) => this.endStep(batch0, true, e));
  }

  private stepThrough(batch0: Batch): Promise<void> | undefined {
    const { hooks, state, control } = this;
    const ctx = this.stepCtx;
    const s = this.stepState;
    hooks.beforeStep.call(ctx);
    // In a tidy: tensors of a batch one tap made and the next replaced are freed here (no tap and
    // no interceptor, no call and no scope: a tidy costs a few microseconds, a share of a small
    // model's step).
    const tb = hooks.transformBatch;
    let transformed = batch0;
    if (tb.taps.length > 0 || tb.interceptors.length > 0) transformed = s.transformed = tf.tidy(() => tb.call(batch0, ctx));
    ctx.batch = transformed;
    this.refreshTrainable();
    if (this.trainableVars.length === 0) {
      throw new GraftError(ErrorCodes.PARAMETER, 'no parameter is trainable: everything is frozen', {
        hint: 'Check the freezing plugin and the parameter patterns it was given',
      });
    }
    const model = this.roles.model!;
    const head = this.roles.head;
    const objective = this.roles.objective!;
    const fctx = this.trainCtx;
    const { value, grads } = tf.variableGrads(() => {
      let outputs = model.forward(transformed, fctx);
      ctx.modelOutputs = outputs;
      if (head) outputs = head.forward(outputs, transformed, fctx);
      outputs = hooks.afterForward.call(outputs, ctx);
      ctx.outputs = outputs;
      const base = objective.loss(outputs, transformed, fctx);
      return hooks.onLoss.call(base, ctx as LossContext);
    }, this.trainableVars);
    ctx.outputs = undefined; // disposed with the tape
    ctx.modelOutputs = undefined;
    ctx.loss = value;
    s.rawGrads = grads;
    tf.tidy(() => {
      const named: GradMap = {};
      const vars = this.trainableVars;
      for (let i = 0; i < vars.length; i++) {
        const g = grads[vars[i]!.name];
        if (g !== undefined) named[this.trainableNames[i]!] = g;
      }
      ctx.grads = hooks.afterBackward.call(named, ctx);
      hooks.beforeOptimizerStep.call(ctx);
      if (!control.optimizerSkipped) this.roles.optimizer!.step(ctx.grads, ctx);
      hooks.afterOptimizerStep.call(ctx);
    });
    ctx.grads = undefined;
    tf.dispose(grads);
    s.rawGrads = undefined;
    const counts = this.countsOf(transformed);
    if (counts) {
      state.examples += counts.examples;
      state.tokens += counts.tokens;
    }
    if (!control.optimizerSkipped) state.step++;
    state.batchInEpoch++;
    s.consumed = true;
    // On device, no sync: the first non-finite step and the last finite loss (read at checks).
    this.finite.update(value, state.step);
    // Synchronous unless a tap returns a promise (runSeries): no promise per tap on every step.
    const after = runSeries(hooks.afterStep, ctx);
    return after ? after.then(() => this.stepChecks()) : this.stepChecks();
  }

  /** The loss check when due, then `shouldStop`. */
  private stepChecks(): Promise<void> | undefined {
    const check = this.checkFinite();
    if (check) return check.then(() => this.askStop());
    this.askStop();
    return undefined;
  }

  private askStop(): void {
    const reason = this.hooks.shouldStop.call(this.stepCtx);
    if (reason) this.control.stopRun(reason);
  }

  /**
   * A step's end, however it went: a cancelled step (`CancelStep`) calls `afterCancelStep`, any
   * other error is rethrown; the step's tensors are freed either way.
   */
  private endStep(batch0: Batch, failed: boolean, error: unknown): undefined {
    const ctx = this.stepCtx;
    const s = this.stepState;
    try {
      if (failed) {
        if (!(error instanceof CancelStep)) throw error;
        if (!s.consumed) this.state.batchInEpoch++;
        this.logger.debug(`step cancelled: ${error.message}`);
        this.hooks.afterCancelStep.call(ctx);
      }
    } finally {
      if (s.rawGrads) tf.dispose(s.rawGrads);
      s.rawGrads = undefined;
      ctx.loss?.dispose();
      ctx.loss = undefined;
      ctx.grads = undefined;
      if (s.transformed !== batch0) disposeBatch(s.transformed);
      s.transformed = undefined;
      disposeBatch(batch0);
    }
    return undefined;
  }

  /** Every `checkFiniteEvery` steps: read the loss flag (asynchronously) and stop a diverged run. */
  private checkFinite(): Promise<void> | undefined {
    const every = this.options.checkFiniteEvery;
    if (every <= 0 || this.state.step % every !== 0) return undefined;
    return this.assertFinite();
  }

  /**
   * Throw `GRAFT_ERR_NON_FINITE` if the training loss has been NaN or infinite at any step since
   * the trainer was built or last loaded a full checkpoint (one asynchronous read of a small flag).
   * Runs every `checkFiniteEvery` steps, at the end of a run, before every save and evaluation.
   */
  async assertFinite(doing?: string): Promise<void> {
    const e = await this.finite.check(doing);
    if (e) throw e;
  }

  /** Forward pass without gradients, as evaluation and generation use it. */
  /** A batch's declared counts: the dataset's `countsOf`, else its `inputs` (`batchCounts`). */
  private countsOf(batch: Batch): BatchCounts | undefined {
    const dataset = this.roles.dataset;
    return dataset?.countsOf ? dataset.countsOf(batch) : batchCounts(batch);
  }

  /**
   * Evaluation-mode forward of the model's incremental decoding and the head (undefined when the
   * model has none): for generation with a key/value cache (`ModelPlugin.forwardIncremental`).
   */
  forwardIncremental(batch: Batch, state: DecodeState | undefined): { outputs: Outputs; state: DecodeState } | undefined {
    const model = this.role('model');
    if (!model.forwardIncremental) return undefined;
    const r = model.forwardIncremental(batch, this.evalCtx, state);
    const head = this.roles.head;
    return head ? { outputs: head.forward(r.outputs, batch, this.evalCtx), state: r.state } : r;
  }

  forward(batch: Batch, training = false): Outputs {
    const fctx = training ? this.trainCtx : this.evalCtx;
    let outputs = this.role('model').forward(batch, fctx);
    const head = this.roles.head;
    if (head) outputs = head.forward(outputs, batch, fctx);
    return outputs;
  }

  /**
   * Evaluate on a split. Every `beforeEval` is closed: by `afterEval` on success, by `onError` with
   * phase `'evaluate'` whenever anything after `beforeEval` began throws (its own taps and
   * `afterEval`'s included); the trainer frees its own tensors (batches, the running loss) either way.
   */
  async evaluate(split: Split = 'validation'): Promise<Metrics> {
    const dataset = this.role('dataset');
    const objective = this.role('objective');
    await this.setup();
    const ctx: EvalContext = { ...this.runContext, split };
    return this.guard('evaluate', async () => {
      // A diverged model is not evaluated (its metrics would be NaN, and a NaN could become `best`).
      await this.assertFinite(`to evaluate the ${split} split`);
      await this.hooks.beforeEval.promise(ctx);
      let total = tf.scalar(0);
      let weight = 0;
      let sum = 0;
      try {
        for (const raw of dataset.batches(split, { epoch: 0 })) {
          let batch = raw;
          try {
            // In a tidy: tensors of a batch one tap made and the next replaced are freed here.
            batch = tf.tidy(() => this.hooks.transformEvalBatch.call(raw, ctx));
            const w = this.countsOf(batch)?.examples ?? 1;
            const next = tf.tidy(() => {
              const outputs = this.forward(batch, false);
              const loss = objective.loss(outputs, batch, this.evalCtx);
              const bctx: EvalBatchContext = Object.assign({}, ctx, { batch, outputs, loss });
              this.hooks.evalBatch.call(bctx);
              return tf.add(total, tf.mul(loss, w)) as tf.Scalar;
            });
            total.dispose();
            total = next;
            weight += w;
          } finally {
            if (batch !== raw) disposeBatch(batch);
            disposeBatch(raw);
          }
          // A long evaluation must not hold off a second Ctrl-C ("exit at once") or timers either.
          await yieldToEventLoop();
        }
        sum = (await total.data())[0]!;
      } finally {
        total.dispose();
      }
      if (weight === 0) this.logger.warn(`evaluate: split "${split}" of ${dataset.meta.name} has no batches; no loss computed`);
      const base: Metrics = weight > 0 ? { [`${split}_loss`]: sum / weight } : {};
      const metrics = await this.hooks.afterEval.promise(base, ctx);
      Object.assign(this.state.metrics, metrics);
      return metrics;
    });
  }

  /**
   * Save a checkpoint folder; an error in `beforeSave`, the write or `afterSave` reaches `onError` (phase `'save'`).
   * `{ params: 'trainable' }` writes an adapter-only checkpoint on the run's base checkpoint
   * (`CoreResources.baseCheckpoint`): see `SaveOptions`.
   */
  async save(dir: string, opts: Pick<SaveOptions, 'params'> = {}): Promise<void> {
    await this.setup();
    await this.guard('save', async () => {
      // Finite or nothing: a diverged loss, or a non-finite parameter or state tensor, writes nothing.
      await this.assertFinite(`to save ${dir} (nothing was written)`);
      await this.hooks.beforeSave.promise({ ...this.runContext, dir });
      try {
        const base = opts.params === 'trainable' ? this.resources.get(CoreResources.baseCheckpoint) : undefined;
        await saveCheckpoint(dir, this, this.resources.get(CoreResources.config), { ...opts, ...(base ? { base } : {}) });
      } catch (e) {
        throw await this.finite.explain(e);
      }
      await this.hooks.afterSave.promise({ ...this.runContext, dir });
    });
  }

  /**
   * Load a checkpoint into this trainer (after setup). By default everything: parameters,
   * optimizer and plugin state, data position and random state, i.e. an exact resume. With
   * `select`, only matching parameters (say `backbone.**`) and nothing else: a warm start.
   */
  async load(dir: string, opts: LoadOptions = {}): Promise<void> {
    await this.setup();
    await this.guard('load', async () => {
      const data = await loadCheckpoint(dir, this, opts);
      // A full load replaces every parameter with finite values: the loss history starts over.
      if (opts.select === undefined) this.finite.reset();
      // An adapter-only checkpoint carries on relative to its base (a resumed run saves on it too), where
      // the base was found: a run folder moved whole finds it by relative path, and saves there next.
      if (opts.select === undefined && data.manifest.base && data.baseDir !== undefined) {
        const { params: _fromBase, relativePath: _rel, ...ref } = data.manifest.base;
        this.resources.set(CoreResources.baseCheckpoint, { ...ref, path: data.baseDir });
      }
      await this.hooks.afterLoad.promise({ ...this.runContext, dir });
    });
  }

  /**
   * Set up from a checkpoint and restore everything, so that `fit()` continues the run exactly:
   * the manifest is published as `CoreResources.resume` during setup (for tokenizers), then
   * parameters, optimizer and plugin state, data position and random state are loaded.
   */
  async resume(dir: string): Promise<void> {
    if (this.setupDone) {
      throw new GraftError(ErrorCodes.INTERNAL, 'resume() must be called before setup, fit or evaluate');
    }
    // The manifest only: load() reads and verifies the tensors right after setup.
    this.resources.set(CoreResources.resume, readCheckpointManifest(dir).manifest);
    await this.load(dir);
  }

  /** The random streams the trainer owns, for checkpoints. */
  rngState(): Record<string, number> {
    return { root: this.rng.getState(), dropout: this.dropoutRng.getState() };
  }

  setRngState(s: Record<string, number>): void {
    if (s.root !== undefined) this.rng.setState(s.root);
    if (s.dropout !== undefined) this.dropoutRng.setState(s.dropout);
  }

  /** Run `fn`; if it throws, run `onError` with `phase`, then rethrow the original error. */
  private async guard<T>(phase: ErrorContext['phase'], fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      await this.reportError(error, phase);
      throw error;
    }
  }

  /** `onError` for `error`; a failing `onError` tap is logged, never hides the error being reported. */
  private async reportError(error: unknown, phase: ErrorContext['phase']): Promise<void> {
    try {
      await this.hooks.onError.promise({ ...this.runContext, error, phase });
    } catch (e) {
      this.logger.error(`onError (phase ${phase}) failed while reporting "${(error as Error)?.message ?? String(error)}": ${(e as Error)?.message ?? String(e)}`);
    }
  }

  /** Free every tensor: parameters, plugin state. The trainer is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.plugins) p.dispose?.();
    this.params.dispose();
    this.finite.dispose();
  }

  get runDir(): string | undefined {
    return this.resources.get(CoreResources.runDir);
  }
}
