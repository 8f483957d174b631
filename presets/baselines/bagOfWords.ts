/**
 * Bag-of-words logistic regression, the yardstick a text classifier must beat: binary word
 * features (present or not in the first `maxLen` words), multinomial logistic regression with L2,
 * full-batch gradient descent from zero weights. Deterministic: no seed, no sampling, so a
 * baseline is a fixed number for a given training set.
 */
export interface BagOfWordsOptions {
  /** Words read from the start of each text (the classifier's maxLen, so both see the same window). */
  maxLen: number;
  /** L2 penalty on the weights (not the biases). */
  l2: number;
  /** Gradient-descent step size. */
  lr: number;
  iterations: number;
}

export const BAG_OF_WORDS_DEFAULTS: Readonly<BagOfWordsOptions> = { maxLen: 64, l2: 1e-2, lr: 0.5, iterations: 500 };

/** Lower-cased words (letters, digits and a few symbols mail carries), the first `maxLen`. */
export function words(text: string, maxLen: number): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}$!<>]+/gu) ?? []).slice(0, maxLen);
}

/** Vocabulary of the training texts: word → column, in order of first appearance. */
export function buildVocabulary(texts: readonly string[], maxLen: number): Map<string, number> {
  const vocab = new Map<string, number>();
  for (const t of texts) for (const w of words(t, maxLen)) if (!vocab.has(w)) vocab.set(w, vocab.size);
  return vocab;
}

/** Distinct vocabulary columns present in a text (unknown words dropped). */
export function featuresOf(text: string, vocab: ReadonlyMap<string, number>, maxLen: number): number[] {
  const cols = new Set<number>();
  for (const w of words(text, maxLen)) {
    const j = vocab.get(w);
    if (j !== undefined) cols.add(j);
  }
  return [...cols].sort((a, b) => a - b);
}

/** Weights [V, C] (row-major) and biases [C] of a multinomial logistic regression. */
export interface LogisticModel {
  numFeatures: number;
  numClasses: number;
  weights: Float64Array;
  bias: Float64Array;
}

/** Class scores (logits) of one example given as its present feature columns. */
export function logits(m: LogisticModel, x: readonly number[]): Float64Array {
  const z = Float64Array.from(m.bias);
  const C = m.numClasses;
  for (const j of x) for (let c = 0; c < C; c++) z[c] += m.weights[j * C + c]!;
  return z;
}

function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let c = 0; c < z.length; c++) sum += z[c] = Math.exp(z[c]! - max);
  for (let c = 0; c < z.length; c++) z[c]! /= sum;
}

/**
 * Fit by full-batch gradient descent on mean cross-entropy + (l2/2)·|W|². The gradient of one
 * example is (softmax(z) − onehot(y)) on its present features: sparse, so a step costs the
 * number of present features times C.
 */
export function fitLogistic(X: readonly (readonly number[])[], y: ArrayLike<number>, numFeatures: number, numClasses: number, o: Pick<BagOfWordsOptions, 'l2' | 'lr' | 'iterations'>): LogisticModel {
  const C = numClasses;
  const m: LogisticModel = { numFeatures, numClasses: C, weights: new Float64Array(numFeatures * C), bias: new Float64Array(C) };
  const n = X.length;
  if (n === 0) return m;
  const gw = new Float64Array(numFeatures * C);
  const gb = new Float64Array(C);
  for (let it = 0; it < o.iterations; it++) {
    gw.fill(0);
    gb.fill(0);
    for (let i = 0; i < n; i++) {
      const p = logits(m, X[i]!);
      softmaxInPlace(p);
      p[y[i]!]! -= 1;
      for (let c = 0; c < C; c++) gb[c] += p[c]!;
      for (const j of X[i]!) for (let c = 0; c < C; c++) gw[j * C + c] += p[c]!;
    }
    for (let k = 0; k < gw.length; k++) m.weights[k] -= o.lr * (gw[k]! / n + o.l2 * m.weights[k]!);
    for (let c = 0; c < C; c++) m.bias[c] -= (o.lr * gb[c]!) / n;
  }
  return m;
}

/** Most likely class of an example (lowest id on a tie). */
export function predictClass(m: LogisticModel, x: readonly number[]): number {
  const z = logits(m, x);
  let best = 0;
  for (let c = 1; c < z.length; c++) if (z[c]! > z[best]!) best = c;
  return best;
}
