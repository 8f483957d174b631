import * as tf from '@tensorflow/tfjs-core';

/**
 * The names of the kernels `f` runs, in order (every `engine.runKernel`, clones for saved tensors
 * included; counted process-wide: call from a serial test).
 */
export function kernelsRunBy(f: () => void): string[] {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = engine.runKernel;
  const names: string[] = [];
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    names.push(name);
    return original.call(this, name, ...rest);
  };
  try {
    f();
  } finally {
    engine.runKernel = original;
  }
  return names;
}
