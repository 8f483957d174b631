import type * as tf from '@tensorflow/tfjs-core';
import { badOption, resolveOptions, type ParamGroupSpec } from '../../../core/index.ts';
import { GroupedOptimizer, type ParamHyper, type SlotUpdate } from '../shared/GroupedOptimizer.ts';
import { sgdUpdate } from './sgdUpdate.ts';
import { SGD_OPTIONS, type SgdOptionsInput } from './options.ts';

const NAME = 'optimizer:sgd';

/** SGD with (Nesterov) momentum, L2 weight decay and parameter groups. */
export class SgdOptimizer extends GroupedOptimizer {
  readonly meta = {
    name: NAME,
    kind: 'optimizer',
    description: 'SGD with momentum (optionally Nesterov), L2 weight decay and parameter groups',
  } as const;
  readonly options: Readonly<Omit<ReturnType<typeof resolveSgd>, 'groups'> & { groups: ParamGroupSpec[] }>;
  /** Plain SGD keeps no state; with momentum, one buffer per parameter. */
  protected readonly slotNames: readonly string[];

  constructor(input: SgdOptionsInput = {}) {
    const options = resolveSgd(input);
    super(options.lr);
    this.slotNames = options.momentum > 0 ? ['momentum'] : [];
    this.groups = options.groups as ParamGroupSpec[];
    this.options = { ...options, groups: this.groups };
  }

  protected baseWeightDecay(): number {
    return this.options.weightDecay;
  }

  protected update(param: tf.Tensor, grad: tf.Tensor, slots: readonly tf.Tensor[], hp: ParamHyper): SlotUpdate {
    const { momentum, nesterov } = this.options;
    const out = sgdUpdate(param, grad, slots[0], { lr: hp.lr, weightDecay: hp.weightDecay, momentum, nesterov });
    return { param: out.param, slots: out.buf ? [out.buf] : [] };
  }
}

function resolveSgd(input: SgdOptionsInput) {
  const o = resolveOptions(NAME, SGD_OPTIONS, input);
  if (o.momentum >= 1) throw badOption(NAME, 'momentum', 'a number in [0, 1)', o.momentum);
  if (o.nesterov && o.momentum === 0) throw badOption(NAME, 'nesterov', 'false when momentum is 0 (Nesterov needs momentum > 0)', o.nesterov);
  return o;
}
