import type { Metrics, Split } from '../../../core/index.ts';
import { ClassificationMetric } from '../shared/ClassificationMetric.ts';
import { macroScores } from '../shared/classificationScores.ts';
import type { ClassificationMetricOptionsInput } from '../shared/options.ts';

const NAME = 'metric:f1';

/** `${split}_f1`, `${split}_precision`, `${split}_recall`: macro averages (see classificationScores). */
export class F1Metric extends ClassificationMetric {
  readonly meta = { name: NAME, kind: 'metric', description: 'Macro precision, recall and F1 on evaluation ({split}_f1, _precision, _recall)' } as const;

  constructor(input: ClassificationMetricOptionsInput = {}) {
    super(NAME, input);
  }

  protected report(counts: Int32Array, numClasses: number, split: Split): Metrics {
    const s = macroScores(counts, numClasses);
    return { [`${split}_f1`]: s.f1, [`${split}_precision`]: s.precision, [`${split}_recall`]: s.recall };
  }
}
