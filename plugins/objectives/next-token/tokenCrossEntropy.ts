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
 * Forward: e = exp(x - max) and s = sum(e) per row, nll = log(s) - (x - max)[target], the target
 * read with one gather on flattened indices (row * V + target), so no one-hot is built. Backward:
 * dlogits = (softmax - onehot) * dy with softmax = e / s from the forward pass: one Exp over the
 * [N, V] logits per step instead of two (recomputing exp(log-softmax) cost a third of a word-level
 * LM step on wasm), and no scatter (UnsortedSegmentSum, O(N·V) per segment on stock cpu).
 */
export function rowNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [N, V] = logits.shape;
  const f = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const shifted = tf.sub(x as tf.Tensor2D, tf.max(x as tf.Tensor2D, 1, true));
    const e = tf.exp(shifted);
    const s = tf.sum(e, 1);
    const flatIdx = tf.add(tf.range(0, N * V, V, 'int32'), targets);
    const value = tf.sub(tf.log(s), tf.gather(tf.reshape(shifted, [N * V]), flatIdx)) as tf.Tensor1D;
    (save as tf.GradSaveFunc)([e, s, targets]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ex, sum, tg] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        // oneHot as int32, then cast: wasm's stock OneHot ignores a float32 dtype.
        const onehot = tf.cast(tf.oneHot(tg, V), 'float32');
        // (e / s - onehot) * dy, with 1/s folded into the row factor: one pass over e.
        const dy2 = tf.reshape(dy, [N, 1]);
        return tf.sub(tf.mul(ex, tf.div(dy2, tf.reshape(sum, [N, 1]))), tf.mul(onehot, dy2));
      },
    };
  });
  return f(logits) as tf.Tensor1D;
}
