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

/** Share of the test set a run put in its most-predicted class, and that class (from the matrix's column sums). */
export function topPredictedShare(confusion: readonly (readonly number[])[]): { cls: number; share: number; trueShare: number } {
  const C = confusion.length;
  const cols = Array.from({ length: C }, (_, j) => confusion.reduce((a, row) => a + (row[j] ?? 0), 0));
  const total = cols.reduce((a, b) => a + b, 0);
  const cls = cols.indexOf(Math.max(...cols));
  const trueCount = (confusion[cls] ?? []).reduce((a, b) => a + b, 0);
  return { cls, share: total > 0 ? cols[cls]! / total : 0, trueShare: total > 0 ? trueCount / total : 0 };
}

/**
 * Whether a run predicted nearly one class: at least `share` (95%) of the test set in one class
 * that holds less than that share of the true labels. Such a run learned little more than the
 * majority class (its F1 is near the majority's) though it is not strictly collapsed; a
 * collapsed run counts too.
 */
export function mostlyOneClass(confusion: readonly (readonly number[])[], share = 0.95): boolean {
  const top = topPredictedShare(confusion);
  return collapsed(confusion) || (top.share >= share && top.trueShare < share);
}
