/**
 * Whether tfjs may be recording ops for a gradient right now (inside `tf.grad`, `variableGrads`,
 * a custom gradient's backward). The fused ops take a shorter path when it is not (evaluation,
 * generation): their kernels called directly, with no `customGrad` wrapper, which costs ~20 µs an
 * op in the engine's bookkeeping, more than the kernel itself for one generated token.
 *
 * Reads tfjs-core 4.x's `engine.state.gradientDepth`; an engine without it is taken as recording
 * (the long path, always correct).
 */
import * as tf from '@tensorflow/tfjs-core';

interface EngineState {
  state?: { gradientDepth?: unknown };
}

export function gradientsRecorded(): boolean {
  const depth = (tf.engine() as unknown as EngineState).state?.gradientDepth;
  return typeof depth !== 'number' || depth > 0;
}
