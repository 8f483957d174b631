import type * as tf from '@tensorflow/tfjs-core';
import { badOption, resolveOptions, type ParamGroupSpec } from '../../../core/index.ts';
import { GroupedOptimizer, type ParamHyper, type SlotUpdate } from '../shared/GroupedOptimizer.ts';
import { adamwUpdate } from './adamwUpdate.ts';
import { ADAMW_OPTIONS, type AdamwOptionsInput } from './options.ts';

const NAME = 'optimizer:adamw';

/** AdamW with bias correction, decoupled weight decay and parameter groups. */
export class AdamwOptimizer extends GroupedOptimizer {
  readonly meta = {
    name: NAME,
    kind: 'optimizer',
    description: 'AdamW (decoupled weight decay) with parameter groups',
  } as const;
  readonly options: Readonly<Omit<ReturnType<typeof resolveAdamw>, 'groups'> & { groups: ParamGroupSpec[] }>;
  protected readonly slotNames = ['m', 'v'] as const;

  constructor(input: AdamwOptionsInput = {}) {
    const options = resolveAdamw(input);
    super(options.lr);
    this.groups = options.groups as ParamGroupSpec[];
    this.options = { ...options, groups: this.groups };
  }

  protected baseWeightDecay(): number {
    return this.options.weightDecay;
  }

  protected update(param: tf.Tensor, grad: tf.Tensor, slots: readonly tf.Tensor[], hp: ParamHyper): SlotUpdate {
    const { beta1, beta2, eps } = this.options;
    const out = adamwUpdate(param, grad, slots[0]!, slots[1]!, { ...hp, beta1, beta2, eps });
    return { param: out.param, slots: [out.m, out.v] };
  }
}

function resolveAdamw(input: AdamwOptionsInput) {
  const o = resolveOptions(NAME, ADAMW_OPTIONS, input);
  // The schema's max is inclusive; a beta of 1 would never forget and divide by zero in the bias correction.
  if (o.beta1 >= 1) throw badOption(NAME, 'beta1', 'a number in [0, 1)', o.beta1);
  if (o.beta2 >= 1) throw badOption(NAME, 'beta2', 'a number in [0, 1)', o.beta2);
  return o;
}
