import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { matches, selectNames, type ParamPattern } from './patterns.ts';

/** What the store keeps per name. */
export interface ParamEntry {
  readonly name: string;
  readonly variable: tf.Variable;
  /** `param`s are learned; `buffer`s are statistics (running means) updated in forward. */
  readonly role: 'param' | 'buffer';
  /** Whether weight decay applies (off for biases and norms by convention). */
  readonly decay: boolean;
  /** The plugin that created it, for error messages. */
  readonly owner: string;
  /** Change it with `setTrainable`, which also refreshes the cached trainable list. */
  readonly trainable: boolean;
}

type MutableEntry = { -readonly [K in keyof ParamEntry]: ParamEntry[K] };

export interface CreateParamOptions {
  role?: 'param' | 'buffer';
  decay?: boolean;
  trainable?: boolean;
  owner?: string;
}

/**
 * A transform of a parameter's value seen by the forward pass (the stored variable is left as
 * is). LoRA is `w => w + scale * A @ B`; weight dropout is `w => dropout(w)` in training.
 * Transforms run inside the step's tidy and gradient tape, so their own parameters learn.
 */
export type ParamTransform = (value: tf.Tensor, info: { name: string; training: boolean }) => tf.Tensor;

/**
 * Every tensor a model learns or keeps, under a hierarchical name. Plugins find parameters by
 * name or pattern to freeze them, put them in learning-rate groups, adapt them and save them.
 */
export class ParameterStore {
  private readonly entries = new Map<string, MutableEntry>();
  private readonly transforms: { owner: string; pattern: ParamPattern; fn: ParamTransform }[] = [];
  private transformCache = new Map<string, ParamTransform[]>();
  private trainableCache: ParamEntry[] | null = null;
  /** Bumped on every change of the trainable set, so optimizers can notice new parameters. */
  version = 0;

  /** Create a variable from initial values (made on the JS side, so every backend starts identical). */
  create(name: string, shape: number[], values: Float32Array | tf.Tensor, opts: CreateParamOptions = {}): tf.Variable {
    if (this.entries.has(name)) {
      const prev = this.entries.get(name)!;
      throw new GraftError(ErrorCodes.PARAMETER, `parameter "${name}" already exists (created by ${prev.owner})`, {
        plugin: opts.owner,
        hint: 'Give each parameter a unique hierarchical name',
      });
    }
    const role = opts.role ?? 'param';
    // Buffers start "trainable" too: for a buffer the flag means its statistics may update.
    const trainable = opts.trainable ?? true;
    const init = values instanceof Float32Array ? tf.tensor(values, shape, 'float32') : values;
    if (values instanceof Float32Array && values.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new GraftError(ErrorCodes.INTERNAL, `parameter "${name}": ${values.length} values for shape [${shape}]`);
    }
    // Freezing is Graft's flag, not tfjs's: the trainer passes the list of trainable variables
    // to the gradient explicitly, so a frozen one costs nothing in the backward pass.
    const variable = tf.variable(init, role === 'param', name.replace(/[^A-Za-z0-9_./-]/g, '_') + '/' + uid());
    if (values instanceof Float32Array) init.dispose();
    this.entries.set(name, { name, variable, role, decay: opts.decay ?? shape.length >= 2, owner: opts.owner ?? 'unknown', trainable });
    this.changed();
    return variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  entry(name: string): ParamEntry {
    const e = this.entries.get(name);
    if (!e) {
      throw new GraftError(ErrorCodes.PARAMETER, `no parameter named "${name}"`, {
        hint: `Known names start with: ${[...new Set([...this.entries.keys()].map((n) => n.split('.')[0]))].join(', ') || '(none)'}`,
      });
    }
    return e;
  }

  get(name: string): tf.Variable {
    return this.entry(name).variable;
  }

  /**
   * The value the forward pass must use: the variable, passed through any transforms
   * registered for its name. Models read weights through this, never `get`.
   */
  read(name: string, training = false): tf.Tensor {
    const v = this.entry(name).variable;
    const fns = this.transformsFor(name);
    if (fns.length === 0) return v;
    let x: tf.Tensor = v;
    for (const fn of fns) x = fn(x, { name, training });
    return x;
  }

  names(filter?: { role?: 'param' | 'buffer' }): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) if (!filter?.role || e.role === filter.role) out.push(e.name);
    return out;
  }

  /** Names matching `pattern`; an empty selection is an error naming the pattern. */
  select(pattern: ParamPattern, who?: string): string[] {
    return selectNames(this.entries.keys(), pattern, who);
  }

  /** Freeze or unfreeze parameters (buffers follow their module: a frozen module's statistics stay put). */
  setTrainable(pattern: ParamPattern, trainable: boolean, who?: string): string[] {
    const names = this.select(pattern, who);
    for (const n of names) this.entries.get(n)!.trainable = trainable;
    this.changed();
    return names;
  }

  isTrainable(name: string): boolean {
    return this.entry(name).trainable;
  }

  /** Learned parameters that currently receive gradients, in creation order. */
  trainable(): readonly ParamEntry[] {
    if (!this.trainableCache) this.trainableCache = [...this.entries.values()].filter((e) => e.role === 'param' && e.trainable);
    return this.trainableCache;
  }

  /**
   * Overwrite a buffer (running statistics) during training. Ignored when the buffer is frozen,
   * which is what keeps a frozen layer's statistics unchanged.
   */
  updateBuffer(name: string, value: tf.Tensor): void {
    const e = this.entry(name);
    if (e.role !== 'buffer') throw new GraftError(ErrorCodes.PARAMETER, `"${name}" is a parameter, not a buffer`);
    if (!e.trainable) return;
    e.variable.assign(value);
  }

  addTransform(owner: string, pattern: ParamPattern, fn: ParamTransform): void {
    this.select(pattern, owner);
    this.transforms.push({ owner, pattern, fn });
    this.transformCache = new Map();
  }

  removeTransforms(owner: string): void {
    for (let i = this.transforms.length - 1; i >= 0; i--) if (this.transforms[i]!.owner === owner) this.transforms.splice(i, 1);
    this.transformCache = new Map();
  }

  private transformsFor(name: string): ParamTransform[] {
    let fns = this.transformCache.get(name);
    if (!fns) {
      fns = this.transforms.filter((t) => matches(name, t.pattern)).map((t) => t.fn);
      this.transformCache.set(name, fns);
    }
    return fns;
  }

  /** Total number of scalars, optionally of the trainable ones only. */
  count(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.role === 'param' && (!opts.trainableOnly || e.trainable)) n += e.variable.size;
    return n;
  }

  /** Remove parameters (e.g. an old head replaced by a new one), disposing their memory. */
  remove(pattern: ParamPattern, who?: string): string[] {
    const names = this.select(pattern, who);
    for (const n of names) {
      this.entries.get(n)!.variable.dispose();
      this.entries.delete(n);
    }
    this.transformCache = new Map();
    this.changed();
    return names;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
    this.changed();
  }

  private changed(): void {
    this.trainableCache = null;
    this.version++;
  }
}

let counter = 0;
function uid(): number {
  return counter++;
}
