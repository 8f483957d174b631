import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean cross-entropy of `logits` [..., V] against int `targets` [...] over the positions that
 * count: `weights` [...] (a 0/1 mask, or any non-negative weights) times `targets != ignoreIndex`.
 * With nothing counted the loss is 0, not NaN.
 */
export function tokenCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor | null, ignoreIndex?: number): tf.Scalar {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1]!;
    const N = targets.size;
    if (logits.size !== N * V) {
      throw new Error(`tokenCrossEntropy: logits [${logits.shape}] do not match targets [${targets.shape}]`);
    }
    let t = tf.reshape(targets.dtype === 'int32' ? targets : tf.cast(targets, 'int32'), [N]) as tf.Tensor1D;
    let w: tf.Tensor1D | null = weights ? (tf.reshape(tf.cast(weights, 'float32'), [N]) as tf.Tensor1D) : null;
    if (ignoreIndex !== undefined) {
      const keep = tf.notEqual(t, ignoreIndex);
      t = tf.where(keep, t, tf.zerosLike(t)); // any valid row for the gather; its weight is 0
      const k = tf.cast(keep, 'float32') as tf.Tensor1D;
      w = w ? (tf.mul(w, k) as tf.Tensor1D) : k;
    }
    const nll = rowNll(tf.reshape(logits, [N, V]) as tf.Tensor2D, t);
    if (!w) return tf.mean(nll) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(nll, w)), tf.maximum(tf.sum(w), 1e-8)) as tf.Scalar;
  });
}

/**
 * -log softmax(logits)[i, targets[i]] per row [N], with a fused gradient.
 *
 * Forward: the stable log-softmax (max shift), then one gather on flattened indices
 * (row * V + target), so no one-hot is built. Backward: dlogits = (softmax - onehot) * dy,
 * written directly instead of differentiating logSoftmax and the gather: fewer [N, V] passes,
 * and no scatter (UnsortedSegmentSum), whose stock cpu kernel is O(N·V) per segment.
 */
export function rowNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [N, V] = logits.shape;
  const f = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const logp = tf.logSoftmax(x as tf.Tensor2D);
    const flatIdx = tf.add(tf.range(0, N * V, V, 'int32'), targets);
    const value = tf.neg(tf.gather(tf.reshape(logp, [N * V]), flatIdx)) as tf.Tensor1D;
    (save as tf.GradSaveFunc)([logp, targets]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [lp, tg] = saved as [tf.Tensor2D, tf.Tensor1D];
        // oneHot as int32, then cast: wasm's OneHot ignores a float32 dtype.
        const onehot = tf.cast(tf.oneHot(tg, V), 'float32');
        return tf.mul(tf.sub(tf.exp(lp), onehot), tf.reshape(dy, [N, 1]));
      },
    };
  });
  return f(logits) as tf.Tensor1D;
}
