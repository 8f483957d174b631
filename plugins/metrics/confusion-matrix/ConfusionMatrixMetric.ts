import { offerEvalDetails, type Metrics, type PluginMeta, type Split } from '../../../core/index.ts';
import { ClassificationMetric, type ClassificationMetricOptionsInput } from '../shared/ClassificationMetric.ts';
import { toRows } from '../shared/confusionMatrix.ts';
import { formatConfusionMatrix } from './formatConfusionMatrix.ts';

/**
 * The confusion matrix of each evaluation (row = true class, column = predicted), kept as
 * `matrix` (the last evaluation) and `matrices[split]`, and logged at info level (with the
 * dataset's `classNames` as a legend when it has them). It adds no number to the metrics; it
 * offers `{ confusion: rows }` as the split's evaluation details (`CoreResources.evalDetails`,
 * `offerEvalDetails`), which `callback:test-evaluation` puts in the stage result and its file.
 */
export class ConfusionMatrixMetric extends ClassificationMetric {
  static readonly meta = { name: 'metric:confusion-matrix', kind: 'metric', description: 'Confusion matrix of each evaluation (logged; exposed as .matrix)' } as const satisfies PluginMeta;
  readonly meta = ConfusionMatrixMetric.meta;
  /** The last evaluation's matrix, rows = true class, columns = predicted class. */
  matrix: number[][] | undefined;
  readonly matrices: Partial<Record<Split, number[][]>> = {};

  constructor(input: ClassificationMetricOptionsInput = {}) {
    super(ConfusionMatrixMetric.meta.name, input);
  }

  protected report(counts: Int32Array, numClasses: number, split: Split): Metrics {
    const rows = toRows(counts, numClasses);
    this.matrix = rows;
    this.matrices[split] = rows;
    if (this.trainer) offerEvalDetails(this.trainer.resources, split, { confusion: rows });
    const names = this.trainer?.maybeRole('dataset')?.classNames;
    this.trainer?.logger.info(`${split} confusion matrix (rows: true class, columns: predicted)\n${formatConfusionMatrix(rows, names)}`);
    return {};
  }
}
