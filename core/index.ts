/**
 * Graft's public API. Third-party plugins import from here only ('graftml').
 */
import 'reflect-metadata';

/**
 * The one tfjs every plugin must use: `import { tf } from 'graftml'`. Importing
 * '@tensorflow/tfjs-core' from a plugin's own dependencies can load a second copy, whose tensors,
 * kernels and gradients the trainer does not know.
 */
export * as tf from '@tensorflow/tfjs-core';

export * from './errors/index.ts';
export * from './options/index.ts';
export * from './random/index.ts';
export * from './params/index.ts';
export * from './nn/index.ts';
export * from './checkpoint/index.ts';
export * from './di/index.ts';
/**
 * The backend as a user or plugin author meets it: pick one (`selectBackend`), make sure one runs
 * (`ensureBackend`, what `createTrainer` calls at setup). Kernels, wasm modules, fused ops and threads
 * are the backend layer's own entry, 'graftml/backend'.
 */
export {
  selectBackend,
  ensureBackend,
  type BackendPreference,
  type BackendName,
  type BackendInfo,
  type SelectBackendOptions,
} from './backend/index.ts';

export { Stages, stageValue, stageName, type StageName } from './hooks/stages.ts';
export { TrainerHooks, HOOK_NAMES, REVERSED_HOOKS, type HookName, type HookArgs } from './hooks/TrainerHooks.ts';
export { Control, CancelStep } from './hooks/Control.ts';
export { describeHooks, formatDescription, traceHooks, type HookDescription } from './hooks/describe.ts';
export type {
  RunContext,
  SetupContext,
  StepContext,
  LossContext,
  EvalContext,
  EvalBatchContext,
  CheckpointContext,
  ErrorContext,
  GradMap,
  Metrics,
} from './hooks/contexts.ts';

export { SINGLETON_KINDS, kindOf, type GraftPlugin, type PluginMeta, type PluginKind, type PluginState, type PreflightReport } from './plugin/Plugin.ts';
export { isPluginClass, type PluginClass } from './plugin/PluginClass.ts';
export { validatePlugins } from './plugin/validatePlugins.ts';
export {
  ROLE_METHODS,
  type ForwardContext,
  type ModelPlugin,
  type DecodeState,
  type HeadPlugin,
  type ObjectivePlugin,
  type OptimizerPlugin,
  type DatasetPlugin,
  type TokenizerPlugin,
  type ParamGroupSpec,
  type BatchOptions,
  type Roles,
  type RoleName,
} from './plugin/roles.ts';

export { batchCounts, disposeBatch, withOutput, type Batch, type BatchCounts, type Outputs, type Split } from './data/Batch.ts';
export type { Tokenizer, SpecialToken } from './data/Tokenizer.ts';
export { Interceptors } from './model/Interceptors.ts';

export { Trainer, type FitResult } from './trainer/Trainer.ts';
export type { TrainerApi, TapOptions, TapFn, OutputInterceptor } from './trainer/TrainerApi.ts';
export { TRAINER_OPTIONS, resolveTrainerOptions, type TrainerOptions, type TrainerOptionsInput } from './trainer/TrainerOptions.ts';
export { initialState, plannedSteps, epochsForMinSteps, intervalPerRun, type TrainState } from './trainer/TrainState.ts';
export { Resources, resourceKey, CoreResources, offerStageResult, offerEvalDetails, type ResourceKey } from './trainer/Resources.ts';
export { createLogger, silentLogger, type LoggerOptions } from './logging/createLogger.ts';
export { formatNumber, formatSeconds, formatValue } from './logging/formatNumber.ts';
