/**
 * What the test set gives for free, from any run's test confusion matrix (rows: true class): its
 * class balance, and the scores of always predicting the majority class, so a table can say
 * whether a classifier learned anything.
 */
export interface TestSetBaseline {
  /** Examples per true class (the matrix's row sums). */
  classCounts: number[];
  total: number;
  majorityClass: number;
  /** Accuracy of always predicting the majority class: its share of the test set. */
  accuracy: number;
  /** Macro-F1 of the same: 2m / (1 + m) for the majority class (m its share), 0 for the others, averaged. */
  macroF1: number;
}

export function testSetBaseline(confusion: readonly (readonly number[])[]): TestSetBaseline {
  const classCounts = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const total = classCounts.reduce((a, b) => a + b, 0);
  const majorityClass = classCounts.indexOf(Math.max(...classCounts));
  const m = total > 0 ? classCounts[majorityClass]! / total : 0;
  return { classCounts, total, majorityClass, accuracy: m, macroF1: classCounts.length > 0 ? (2 * m) / (1 + m) / classCounts.length : 0 };
}

/** Whether a run predicted a single class for the whole test set (collapsed): at most one column of the matrix is used. */
export function collapsed(confusion: readonly (readonly number[])[]): boolean {
  const C = confusion.length;
  let used = 0;
  for (let j = 0; j < C; j++) if (confusion.some((row) => (row[j] ?? 0) > 0)) used++;
  return used <= 1;
}
