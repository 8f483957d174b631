export { AccuracyMetric } from './accuracy/AccuracyMetric.ts';
export { F1Metric } from './f1/F1Metric.ts';
export { ConfusionMatrixMetric } from './confusion-matrix/ConfusionMatrixMetric.ts';
export { formatConfusionMatrix } from './confusion-matrix/formatConfusionMatrix.ts';
export { ClassificationMetric } from './shared/ClassificationMetric.ts';
export { ConfusionAccumulator } from './shared/ConfusionAccumulator.ts';
export { confusionMatrix, toRows } from './shared/confusionMatrix.ts';
export { accuracy, perClassScores, macroScores, total, type PerClassScores, type MacroScores } from './shared/classificationScores.ts';
export { CLASSIFICATION_METRIC_OPTIONS, type ClassificationMetricOptionsInput } from './shared/ClassificationMetric.ts';
