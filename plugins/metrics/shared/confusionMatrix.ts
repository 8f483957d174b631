/**
 * Confusion matrix of class ids: `cm[y * C + p]` counts examples of true class y predicted as p
 * (rows true, columns predicted, as scikit-learn). Throws on an id outside [0, C).
 */
export function confusionMatrix(labels: ArrayLike<number>, preds: ArrayLike<number>, numClasses: number): Int32Array {
  if (labels.length !== preds.length) throw new RangeError(`confusionMatrix: ${labels.length} labels but ${preds.length} predictions`);
  const cm = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const p = preds[i]!;
    if (!(y >= 0 && y < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(`confusionMatrix: example ${i} has label ${y}, prediction ${p}; expected ids in [0, ${numClasses})`);
    }
    cm[y * numClasses + p]!++;
  }
  return cm;
}

/** The matrix as rows (true class) of columns (predicted class), for logs and JSON. */
export function toRows(cm: Int32Array, numClasses: number): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y < numClasses; y++) rows.push(Array.from(cm.subarray(y * numClasses, (y + 1) * numClasses)));
  return rows;
}
