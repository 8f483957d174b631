/**
 * Scores from a confusion matrix `cm` (row = true class, column = predicted; see confusionMatrix).
 *
 * Conventions, as scikit-learn with zero_division=0:
 *  - precision of a class never predicted is 0; recall of a class absent from the labels is 0;
 *    F1 is 0 when precision + recall is 0;
 *  - macro averages are over the classes that occur in the labels or the predictions
 *    (scikit-learn's default `labels=None`), so a class absent from both does not count;
 *  - macro F1 is the mean of per-class F1 (not the F1 of macro precision and recall).
 */
export interface PerClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  /** True examples of each class (row sums). */
  support: number[];
  /** Predictions of each class (column sums). */
  predicted: number[];
}

export interface MacroScores {
  precision: number;
  recall: number;
  f1: number;
}

export function total(cm: Int32Array): number {
  let n = 0;
  for (let i = 0; i < cm.length; i++) n += cm[i]!;
  return n;
}

/** Fraction correct: trace / total (NaN for an empty matrix). */
export function accuracy(cm: Int32Array, numClasses: number): number {
  let correct = 0;
  for (let c = 0; c < numClasses; c++) correct += cm[c * numClasses + c]!;
  return correct / total(cm);
}

export function perClassScores(cm: Int32Array, numClasses: number): PerClassScores {
  const C = numClasses;
  const out: PerClassScores = { precision: [], recall: [], f1: [], support: [], predicted: [] };
  for (let c = 0; c < C; c++) {
    let support = 0;
    let predicted = 0;
    for (let k = 0; k < C; k++) {
      support += cm[c * C + k]!;
      predicted += cm[k * C + c]!;
    }
    const tp = cm[c * C + c]!;
    const p = predicted === 0 ? 0 : tp / predicted;
    const r = support === 0 ? 0 : tp / support;
    out.precision.push(p);
    out.recall.push(r);
    out.f1.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
    out.support.push(support);
    out.predicted.push(predicted);
  }
  return out;
}

/** Macro-averaged precision, recall and F1 (NaN for an empty matrix). */
export function macroScores(cm: Int32Array, numClasses: number): MacroScores {
  const s = perClassScores(cm, numClasses);
  let n = 0;
  const sum = { precision: 0, recall: 0, f1: 0 };
  for (let c = 0; c < numClasses; c++) {
    if (s.support[c] === 0 && s.predicted[c] === 0) continue;
    n++;
    sum.precision += s.precision[c]!;
    sum.recall += s.recall[c]!;
    sum.f1 += s.f1[c]!;
  }
  return { precision: sum.precision / n, recall: sum.recall / n, f1: sum.f1 / n };
}
