import type { LabelledData, LabelledSplit } from '../../plugins/datasets/labelled-text/loadLabelledData.ts';
import { accuracy, macroScores } from '../../plugins/metrics/shared/classificationScores.ts';
import { confusionMatrix, toRows } from '../../plugins/metrics/shared/confusionMatrix.ts';
import { BAG_OF_WORDS_DEFAULTS, buildVocabulary, featuresOf, fitLogistic, predictClass, type BagOfWordsOptions } from './bagOfWords.ts';

/** A baseline's test scores, in the form the experiments' tables read. */
export interface BaselineScores {
  /** Training examples it learned from. */
  examples: number;
  accuracy: number;
  /** Macro-F1 (the classifier metric's conventions: scikit-learn, zero_division 0). */
  f1: number;
  /** Rows: true class; columns: predicted. */
  confusion: number[][];
}

/** Scores of predictions against a split's labels. */
export function scorePredictions(labels: ArrayLike<number>, preds: ArrayLike<number>, numClasses: number, examples: number): BaselineScores {
  const cm = confusionMatrix(labels, preds, numClasses);
  return { examples, accuracy: accuracy(cm, numClasses), f1: macroScores(cm, numClasses).f1, confusion: toRows(cm, numClasses) };
}

/**
 * Bag-of-words logistic regression trained on `train`, scored on `test` (by default the data's
 * test split): vocabulary from the training texts only, the first `maxLen` words of each text.
 */
export function bagOfWordsBaseline(data: Pick<LabelledData, 'classes' | 'test'>, train: LabelledSplit, options: Partial<BagOfWordsOptions> = {}): BaselineScores & { vocabulary: number } {
  const o = { ...BAG_OF_WORDS_DEFAULTS, ...options };
  const C = data.classes.length;
  const vocab = buildVocabulary(train.records.map((r) => r.text), o.maxLen);
  const X = train.records.map((r) => featuresOf(r.text, vocab, o.maxLen));
  const model = fitLogistic(X, train.labels, vocab.size, C, o);
  const preds = data.test.records.map((r) => predictClass(model, featuresOf(r.text, vocab, o.maxLen)));
  return { ...scorePredictions(data.test.labels, preds, C, train.records.length), vocabulary: vocab.size };
}

/**
 * Always predicting the class most frequent in the training labels (lowest id on a tie): what a
 * classifier scores having learned nothing but the class balance.
 */
export function majorityBaseline(data: Pick<LabelledData, 'classes' | 'test'>, train: Pick<LabelledSplit, 'labels'>): BaselineScores {
  const C = data.classes.length;
  const counts = new Array<number>(C).fill(0);
  for (const y of train.labels) counts[y]!++;
  const majority = counts.indexOf(Math.max(...counts));
  return scorePredictions(data.test.labels, new Int32Array(data.test.labels.length).fill(majority), C, train.labels.length);
}
