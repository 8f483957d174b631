import type * as tf from '@tensorflow/tfjs-core';
import {
  badOption,
  resolveOptions,
  type ParamGroupSpec,
  type PluginMeta,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { GroupedOptimizer, PARAM_GROUPS_OPTION, type ParamHyper, type SlotUpdate } from '../shared/GroupedOptimizer.ts';
import { sgdUpdate, type SgdHyper } from './sgdUpdate.ts';
import { sgdInPlace } from '../../../core/backend/index.ts';

export const SGD_OPTIONS = {
  lr: { type: 'number', default: 0.01, min: 0, doc: 'Base learning rate (schedulers scale it, groups multiply it).' },
  momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'Momentum μ in [0, 1); 0 is plain SGD.' },
  nesterov: { type: 'boolean', default: false, doc: 'Nesterov momentum (needs momentum > 0).' },
  weightDecay: {
    type: 'number',
    default: 0,
    min: 0,
    doc: 'L2 penalty added to the gradient, only for parameters created with decay: true; a group may override it.',
  },
  groups: PARAM_GROUPS_OPTION,
} as const satisfies OptionSchema;

export type SgdOptionsInput = Omit<InputOptions<typeof SGD_OPTIONS>, 'groups'> & { groups?: ParamGroupSpec[] };

/** SGD with (Nesterov) momentum, L2 weight decay and parameter groups. */
export class SgdOptimizer extends GroupedOptimizer {
  static readonly meta = {
    name: 'optimizer:sgd',
    kind: 'optimizer',
    description: 'SGD with momentum (optionally Nesterov), L2 weight decay and parameter groups',
  } as const satisfies PluginMeta;
  static readonly options = SGD_OPTIONS;
  readonly meta = SgdOptimizer.meta;
  readonly options: Readonly<Omit<ReturnType<typeof resolveSgd>, 'groups'> & { groups: ParamGroupSpec[] }>;
  // sgdUpdate runs in its own tf.tidy: it leaves only its outputs, which the base class frees once assigned.
  protected override readonly updateFreesItsTemporaries = true;
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
    const out = sgdUpdate(param, grad, slots[0], this.hyper(hp));
    return { param: out.param, slots: out.buf ? [out.buf] : [] };
  }

  protected override updateInPlace(param: tf.Variable, grad: tf.Tensor, slots: readonly tf.Variable[], hp: ParamHyper): boolean {
    return sgdInPlace(param, grad, slots[0], this.hyper(hp));
  }

  /** One parameter's step constants (a literal: see AdamwOptimizer's `hyper`). */
  private hyper(hp: ParamHyper): SgdHyper {
    const { momentum, nesterov } = this.options;
    return { lr: hp.lr, weightDecay: hp.weightDecay, momentum, nesterov };
  }
}

function resolveSgd(input: SgdOptionsInput) {
  const o = resolveOptions(SgdOptimizer.meta.name, SGD_OPTIONS, input);
  if (o.momentum >= 1) throw badOption(SgdOptimizer.meta.name, 'momentum', 'a number in [0, 1)', o.momentum);
  if (o.nesterov && o.momentum === 0) throw badOption(SgdOptimizer.meta.name, 'nesterov', 'false when momentum is 0 (Nesterov needs momentum > 0)', o.nesterov);
  return o;
}
