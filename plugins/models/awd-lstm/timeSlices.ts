import * as tf from '@tensorflow/tfjs-core';

/**
 * x [T, ...] → T tensors [...], like `tf.unstack(x)`, in two levels: √T chunks, then each chunk's
 * steps. Why: the wasm backend's Slice (behind Unpack and Split) copies the *whole* input for every
 * slice it takes, so a flat unstack of T steps costs T full copies; two levels cost about 2√T. The
 * gradient (concat / stack) is unaffected.
 */
export function unstackTime(x: tf.Tensor): tf.Tensor[] {
  const T = x.shape[0]!;
  const chunk = Math.ceil(Math.sqrt(T));
  if (T <= chunk) return unstack(x);
  const sizes: number[] = [];
  for (let t = 0; t < T; t += chunk) sizes.push(Math.min(chunk, T - t));
  return tf.split(x, sizes, 0).flatMap(unstack);
}

/**
 * tf.unstack, except for one step, which is a reshape: tfjs's Unpack gradient breaks when there is
 * a single output (the tape hands it one tensor, not an array).
 */
function unstack(x: tf.Tensor): tf.Tensor[] {
  return x.shape[0] === 1 ? [tf.reshape(x, x.shape.slice(1))] : tf.unstack(x);
}

/**
 * T tensors [...] → [T, ...], like `tf.stack(xs)`, in two levels for the same reason: its gradient
 * splits the incoming gradient back into steps, which on wasm costs a full copy per step.
 */
export function stackTime(xs: tf.Tensor[]): tf.Tensor {
  const T = xs.length;
  const chunk = Math.ceil(Math.sqrt(T));
  if (T <= chunk) return tf.stack(xs);
  const parts: tf.Tensor[] = [];
  for (let t = 0; t < T; t += chunk) parts.push(tf.stack(xs.slice(t, t + chunk)));
  return tf.concat(parts, 0);
}
