import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { DiscriminativeLrGroups } from '../../../plugins/lr-groups/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import {
  ConstantScheduler,
  OneCycleScheduler,
  SlantedTriangularScheduler,
  WarmupCosineScheduler,
  WarmupLinearScheduler,
} from '../../../plugins/schedulers/index.ts';

// Optimizers, schedulers and learning-rate groups on the toy recipe. Schedulers and groups drive a
// real optimizer (optimizer:sgd with momentum replaces the toy one), whose state they must not upset.

test.before(async () => {
  await tf.setBackend('cpu');
});

// default `without` for optimizers: a checkpoint written with optimizer:toy-sgd, resumed with this one
pluginConformance(test, {
  make: () => new AdamwOptimizer({ lr: 0.01, weightDecay: 0.01, groups: [{ name: 'head', pattern: 'head.**', lrScale: 2 }] }),
});

pluginConformance(test, {
  make: () => new SgdOptimizer({ lr: 0.1, momentum: 0.9, nesterov: true }),
});

const sgd = () => [new SgdOptimizer({ lr: 0.1, momentum: 0.9 })];

pluginConformance(test, { make: () => new ConstantScheduler(), extra: sgd });
pluginConformance(test, { make: () => new WarmupCosineScheduler({ warmupSteps: 1, minLrRatio: 0.1 }), extra: sgd });
pluginConformance(test, { make: () => new WarmupLinearScheduler({ warmupFraction: 0.25 }), extra: sgd });
pluginConformance(test, { make: () => new OneCycleScheduler({ pctStart: 0.3 }), extra: sgd });
pluginConformance(test, { make: () => new SlantedTriangularScheduler({ cutFrac: 0.3, ratio: 8 }), extra: sgd });
pluginConformance(test, { make: () => new DiscriminativeLrGroups({ factor: 2 }), extra: sgd });
