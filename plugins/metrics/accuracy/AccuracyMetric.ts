import type { Metrics, PluginMeta, Split } from '../../../core/index.ts';
import { ClassificationMetric, type ClassificationMetricOptionsInput } from '../shared/ClassificationMetric.ts';
import { accuracy } from '../shared/classificationScores.ts';

/** `${split}_accuracy`: the fraction of evaluation examples whose argmax logit is the label. */
export class AccuracyMetric extends ClassificationMetric {
  static readonly meta = { name: 'metric:accuracy', kind: 'metric', description: 'Classification accuracy on evaluation ({split}_accuracy)' } as const satisfies PluginMeta;
  readonly meta = AccuracyMetric.meta;

  constructor(input: ClassificationMetricOptionsInput = {}) {
    super(AccuracyMetric.meta.name, input);
  }

  protected report(counts: Int32Array, numClasses: number, split: Split): Metrics {
    return { [`${split}_accuracy`]: accuracy(counts, numClasses) };
  }
}
