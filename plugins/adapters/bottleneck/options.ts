import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const BOTTLENECK = 'adapter:bottleneck';

export const BOTTLENECK_OPTIONS = {
  pattern: {
    type: 'string',
    default: 'backbone.blocks.*.mlp',
    doc: 'Module outputs (names the model marks with ctx.intercept) to adapt, a glob. The default is every GPT block\'s MLP branch.',
  },
  size: { type: 'integer', default: 16, min: 1, doc: 'Bottleneck width m: each adapter maps dim → m → dim.' },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Std of the normal init of the down projection (the up projection starts at zero).' },
  trainOnly: { type: 'boolean', default: true, doc: 'Freeze every other parameter (except alsoTrain).' },
  alsoTrain: { type: 'string[]', default: [], doc: 'Patterns of parameters to train besides the adapters (Houlsby also trains the layer norms: "backbone.**.ln*.*").' },
} as const satisfies OptionSchema;

export type BottleneckOptionsInput = InputOptions<typeof BOTTLENECK_OPTIONS>;
