import type * as tf from '@tensorflow/tfjs-core';
import type { Batch, Outputs, Split } from '../data/Batch.ts';
import type { TrainerApi } from '../trainer/TrainerApi.ts';
import type { TrainState } from '../trainer/TrainState.ts';
import type { Control } from './Control.ts';

/** Gradients keyed by parameter name. A hook may replace, scale or drop entries. */
export type GradMap = Record<string, tf.Tensor>;

/** Metrics by name, prefixed with the split: `validation_loss`, `validation_perplexity`, `test_accuracy`, ... */
export type Metrics = Record<string, number>;

/** Passed to every run-level hook. One object per run, updated in place (no per-step allocation). */
export interface RunContext {
  readonly trainer: TrainerApi;
  readonly state: TrainState;
  readonly control: Control;
}

/** Passed to the setup hook: the trainer is built, nothing has trained yet. */
export interface SetupContext extends RunContext {}

/** Passed to step hooks. Fields are valid only during the step. */
export interface StepContext extends RunContext {
  /** The batch as transformed by `transformBatch`. */
  batch: Batch;
  /** Forward outputs; set after `afterForward`. */
  outputs: Outputs | undefined;
  /**
   * The model's own outputs, before the head and `afterForward`; set during the forward pass and
   * valid until `onLoss` returns (freed with the gradient tape). A model's regularisers read what
   * it produced here (AWD-LSTM's AR/TAR read `rawHidden`), so no head has to pass it through.
   */
  modelOutputs: Outputs | undefined;
  /**
   * The loss tensor; set after `onLoss`, valid until `afterStep` has finished. Reading it
   * synchronously stalls the step: loggers read it with `await loss.data()` every N steps.
   */
  loss: tf.Scalar | undefined;
  /** Gradients; set after `afterBackward`. */
  grads: GradMap | undefined;
}

/** Passed to `onLoss`, inside the gradient tape: whatever a tap adds to the loss is differentiated. */
export interface LossContext extends StepContext {
  readonly outputs: Outputs;
  readonly modelOutputs: Outputs;
}

/** Passed to the evaluation hooks. */
export interface EvalContext extends RunContext {
  readonly split: Split;
}

/** Passed to `evalBatch` once per evaluation batch, outputs computed without gradients. */
export interface EvalBatchContext extends EvalContext {
  readonly batch: Batch;
  readonly outputs: Outputs;
  /** Mean loss of this batch (a scalar tensor, disposed after the hook). */
  readonly loss: tf.Scalar;
}

/** Passed to checkpoint hooks. */
export interface CheckpointContext extends RunContext {
  /** The folder being written or read. */
  readonly dir: string;
}

/**
 * Passed to `onError`, after which the error is rethrown. An evaluate or save that fails inside
 * `fit` is reported twice: with its own phase, then with `fit` (the same error object).
 */
export interface ErrorContext extends RunContext {
  readonly error: unknown;
  /**
   * Where it happened: `setup`, `fit` (the loop: a step or a hook of the run), `evaluate` (the
   * closing half of `beforeEval` on failure: release what it set up), `save` or `load`.
   */
  readonly phase: 'setup' | 'fit' | 'evaluate' | 'save' | 'load';
}
