import type * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  constantInit,
  createDense,
  globToRegExp,
  resolveOptions,
  type GraftPlugin,
  type ParameterStore,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { forwardOnce } from '../shared/forwardOnce.ts';
import { freezeAllExcept } from '../shared/freezeAllExcept.ts';
import { houlsbyAdapter } from './houlsbyAdapter.ts';

export const BOTTLENECK_OPTIONS = {
  pattern: {
    type: 'string',
    default: 'backbone.blocks.*.mlp',
    doc: 'Module outputs (names the model marks with ctx.intercept) to adapt, a glob. The default is every GPT block\'s MLP branch.',
  },
  size: { type: 'integer', default: 16, min: 1, doc: 'Bottleneck width m: each adapter maps dim → m → dim.' },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Std of the normal init of the down projection (the up projection starts at zero).' },
  trainOnly: { type: 'boolean', default: true, doc: 'Freeze every other parameter (except alsoTrain).' },
  alsoTrain: { type: 'string[]', default: [], doc: 'Patterns of parameters to train besides the adapters: a task head ("head.**"); Houlsby also trains the layer norms ("backbone.**.ln*.*").' },
} as const satisfies OptionSchema;

export type BottleneckOptionsInput = InputOptions<typeof BOTTLENECK_OPTIONS>;

/** One adapted module output. */
export interface BottleneckModule {
  /** The module output's name, as the model marks it (`backbone.blocks.0.mlp`). */
  name: string;
  /** Its width (last dimension). */
  dim: number;
  /** Parameter prefix: `adapter.bottleneck.<name>` (then `.down.kernel`, `.down.bias`, `.up.kernel`, `.up.bias`). */
  prefix: string;
}

/**
 * `adapter:bottleneck`: Houlsby-style adapters `x + up(gelu(down(x)))` on named module outputs
 * (those the model passes through `ctx.intercept`), inserted with `trainer.interceptOutput`.
 * In `setup` at stage `adapt` it runs the model once on one example to find the outputs matching
 * `pattern` and their widths, creates each adapter's parameters (`up` at zero: identity at the
 * start), and freezes everything but the adapters and `alsoTrain`.
 */
export class BottleneckAdapter implements GraftPlugin {
  static readonly meta = { name: 'adapter:bottleneck', kind: 'adapter', description: 'Bottleneck adapters x + up(gelu(down(x))) on module outputs (Houlsby et al.)' } as const satisfies PluginMeta;
  static readonly options = BOTTLENECK_OPTIONS;
  readonly meta = BottleneckAdapter.meta;
  readonly options: Readonly<ResolvedOptions<typeof BOTTLENECK_OPTIONS>>;
  private store: ParameterStore | undefined;
  private readonly modules = new Map<string, BottleneckModule>();
  private readonly matched = new Map<string, boolean>();
  /** Set while probing: module name → widths seen. */
  private probe: Map<string, Set<number>> | undefined;

  constructor(input: BottleneckOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, BOTTLENECK_OPTIONS, input);
  }

  /** The adapted module outputs (after setup). */
  get adapted(): readonly BottleneckModule[] {
    return [...this.modules.values()];
  }

  apply(trainer: TrainerApi): void {
    this.store = trainer.params;
    // Registered for every name so the setup probe sees all module outputs (and can list them in errors).
    trainer.interceptOutput(this.meta.name, '**', (x, info) => this.intercept(x, info.name, info.training));
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'adapt' });
  }

  private matches(name: string): boolean {
    let m = this.matched.get(name);
    if (m === undefined) {
      m = globToRegExp(this.options.pattern).test(name);
      this.matched.set(name, m);
    }
    return m;
  }

  private intercept(x: tf.Tensor, name: string, training: boolean): tf.Tensor {
    if (this.probe) {
      const dims = this.probe.get(name) ?? new Set<number>();
      dims.add(x.shape[x.rank - 1]!);
      this.probe.set(name, dims);
      return x;
    }
    if (!this.matches(name)) return x;
    const m = this.modules.get(name);
    if (!m) {
      throw new GraftError(ErrorCodes.PARAMETER, `module output "${name}" matches the pattern but had no adapter built for it`, {
        plugin: this.meta.name,
        hint: 'Adapters are built in setup from one forward pass; a module output that only appears in some batches cannot be adapted',
      });
    }
    if (x.shape[x.rank - 1] !== m.dim) {
      throw new GraftError(ErrorCodes.DATA, `module output "${name}" has width ${x.shape[x.rank - 1]}, its adapter was built for ${m.dim}`, { plugin: this.meta.name });
    }
    return houlsbyAdapter(this.store!, m.prefix, x, training);
  }

  private build(trainer: TrainerApi): void {
    const o = this.options;
    this.probe = new Map();
    let seen: Map<string, Set<number>>;
    try {
      forwardOnce(trainer, this.meta.name);
    } finally {
      seen = this.probe;
      this.probe = undefined;
    }
    const names = [...seen.keys()].filter((n) => this.matches(n));
    if (names.length === 0) {
      throw new GraftError(ErrorCodes.PARAMETER, `pattern ${JSON.stringify(o.pattern)} matches no module output`, {
        plugin: this.meta.name,
        option: 'pattern',
        hint: `The model marks: ${[...seen.keys()].join(', ') || '(nothing: it calls no ctx.intercept)'}`,
      });
    }
    const rng = trainer.rng.fork(this.meta.name);
    const params = trainer.params;
    for (const name of names) {
      const dims = [...seen.get(name)!];
      if (dims.length !== 1) {
        throw new GraftError(ErrorCodes.DATA, `module output "${name}" has several widths (${dims.join(', ')})`, { plugin: this.meta.name, option: 'pattern' });
      }
      const dim = dims[0]!;
      const prefix = `adapter.bottleneck.${name}`;
      createDense(params, rng, `${prefix}.down`, dim, o.size, { init: { std: o.initStd }, owner: this.meta.name });
      // `up` starts at zero: the adapter is the identity until it learns.
      params.create(`${prefix}.up.kernel`, [o.size, dim], constantInit(o.size * dim, 0), { owner: this.meta.name, decay: true });
      params.create(`${prefix}.up.bias`, [dim], constantInit(dim, 0), { owner: this.meta.name, decay: false });
      this.modules.set(name, { name, dim, prefix });
    }
    if (o.trainOnly) freezeAllExcept(params, 'adapter.bottleneck.**', o.alsoTrain, this.meta.name);
    trainer.logger.info(`${this.meta.name}: ${names.length} adapters of width ${o.size} on ${names.join(', ')}`);
  }
}
