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
import { adamwUpdate, type AdamwHyper } from './adamwUpdate.ts';
import { adamwInPlace } from '../../../core/backend/index.ts';

export const ADAMW_OPTIONS = {
  lr: { type: 'number', default: 1e-3, min: 0, doc: 'Base learning rate (schedulers scale it, groups multiply it).' },
  beta1: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'Decay of the first moment, in [0, 1).' },
  beta2: { type: 'number', default: 0.999, min: 0, max: 1, doc: 'Decay of the second moment, in [0, 1).' },
  eps: { type: 'number', default: 1e-8, min: 0, exclusiveMin: true, doc: 'Added to √v̂ in the denominator.' },
  weightDecay: {
    type: 'number',
    default: 0.01,
    min: 0,
    doc: 'Decoupled weight decay, applied only to parameters created with decay: true; a group may override it.',
  },
  groups: PARAM_GROUPS_OPTION,
} as const satisfies OptionSchema;

export type AdamwOptionsInput = Omit<InputOptions<typeof ADAMW_OPTIONS>, 'groups'> & { groups?: ParamGroupSpec[] };

/** AdamW with bias correction, decoupled weight decay and parameter groups. */
export class AdamwOptimizer extends GroupedOptimizer {
  static readonly meta = {
    name: 'optimizer:adamw',
    kind: 'optimizer',
    description: 'AdamW (decoupled weight decay) with parameter groups',
  } as const satisfies PluginMeta;
  static readonly options = ADAMW_OPTIONS;
  readonly meta = AdamwOptimizer.meta;
  readonly options: Readonly<Omit<ReturnType<typeof resolveAdamw>, 'groups'> & { groups: ParamGroupSpec[] }>;
  protected readonly slotNames = ['m', 'v'] as const;
  // adamwUpdate is the fused kernel (three outputs, nothing else) or tf.tidy around the same math.
  protected override readonly updateFreesItsTemporaries = true;

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
    const out = adamwUpdate(param, grad, slots[0]!, slots[1]!, this.hyper(hp));
    return { param: out.param, slots: [out.m, out.v] };
  }

  protected override updateInPlace(param: tf.Variable, grad: tf.Tensor, slots: readonly tf.Variable[], hp: ParamHyper): boolean {
    return adamwInPlace(param, grad, slots[0]!, slots[1]!, this.hyper(hp));
  }

  /** One parameter's step constants. */
  private hyper(hp: ParamHyper): AdamwHyper {
    const { beta1, beta2, eps } = this.options;
    // A literal, not `{ ...hp, beta1, ... }`: on Node 20's V8 a spread followed by more properties
    // costs 1-3 µs (a new map each time), 16 parameters a step of the micro GPT (bench/README).
    return { lr: hp.lr, weightDecay: hp.weightDecay, t: hp.t, beta1, beta2, eps };
  }
}

function resolveAdamw(input: AdamwOptionsInput) {
  const o = resolveOptions(AdamwOptimizer.meta.name, ADAMW_OPTIONS, input);
  // The schema's max is inclusive; a beta of 1 would never forget and divide by zero in the bias correction.
  if (o.beta1 >= 1) throw badOption(AdamwOptimizer.meta.name, 'beta1', 'a number in [0, 1)', o.beta1);
  if (o.beta2 >= 1) throw badOption(AdamwOptimizer.meta.name, 'beta2', 'a number in [0, 1)', o.beta2);
  return o;
}
