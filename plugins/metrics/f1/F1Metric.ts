import type { Metrics, PluginMeta, Split } from '../../../core/index.ts';
import { ClassificationMetric, type ClassificationMetricOptionsInput } from '../shared/ClassificationMetric.ts';
import { macroScores } from '../shared/classificationScores.ts';

/** `${split}_f1`, `${split}_precision`, `${split}_recall`: macro averages (see classificationScores). */
export class F1Metric extends ClassificationMetric {
  static readonly meta = { name: 'metric:f1', kind: 'metric', description: 'Macro precision, recall and F1 on evaluation ({split}_f1, _precision, _recall)' } as const satisfies PluginMeta;
  readonly meta = F1Metric.meta;

  constructor(input: ClassificationMetricOptionsInput = {}) {
    super(F1Metric.meta.name, input);
  }

  protected report(counts: Int32Array, numClasses: number, split: Split): Metrics {
    const s = macroScores(counts, numClasses);
    return { [`${split}_f1`]: s.f1, [`${split}_precision`]: s.precision, [`${split}_recall`]: s.recall };
  }
}
