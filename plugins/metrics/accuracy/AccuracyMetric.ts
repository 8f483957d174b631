import type { Metrics, Split } from '../../../core/index.ts';
import { ClassificationMetric } from '../shared/ClassificationMetric.ts';
import { accuracy } from '../shared/classificationScores.ts';
import type { ClassificationMetricOptionsInput } from '../shared/options.ts';

const NAME = 'metric:accuracy';

/** `${split}_accuracy`: the fraction of evaluation examples whose argmax logit is the label. */
export class AccuracyMetric extends ClassificationMetric {
  readonly meta = { name: NAME, kind: 'metric', description: 'Classification accuracy on evaluation ({split}_accuracy)' } as const;

  constructor(input: ClassificationMetricOptionsInput = {}) {
    super(NAME, input);
  }

  protected report(counts: Int32Array, numClasses: number, split: Split): Metrics {
    return { [`${split}_accuracy`]: accuracy(counts, numClasses) };
  }
}
