import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  matches,
  describePattern,
  type GradMap,
  type OptimizerPlugin,
  type ParamGroupSpec,
  type ParameterStore,
  type PluginMeta,
  type PluginState,
  type StepContext,
  type TrainerApi,
} from '../../../core/index.ts';
import { resolveGroups } from './resolveGroups.ts';
import { DEFAULT_GROUP, validateGroups } from './validateGroups.ts';


/** The `groups` option every grouped optimizer takes (its schema entry, shared so it is declared once). */
export const PARAM_GROUPS_OPTION = {
  type: 'any',
  default: [],
  doc: 'Parameter groups [{ name, pattern, lrScale?, weightDecay? }]; first match owns a parameter; the name "default" is reserved.',
} as const;

/** Per-parameter hyper-parameters after groups are applied. */
export interface ParamHyper {
  /** Effective learning rate: `learningRate * lrScale`. */
  lr: number;
  /** 0 for parameters created with `decay: false`; else the group's or the optimizer's. */
  weightDecay: number;
  /** This parameter's update count, from 1 (Adam's bias correction). */
  t: number;
}

/** What a concrete optimizer's update returns: the new parameter and new slot values, in slot order. */
export interface SlotUpdate {
  param: tf.Tensor;
  slots: tf.Tensor[];
}

/**
 * Parameter groups, per-parameter slot tensors (moments) and their checkpointing, shared by every
 * optimizer: tfjs optimizers have no groups, so Graft keeps its own. A subclass names its slots
 * and gives the math as a pure function of tensors.
 *
 * Slots live in non-trainable tf.Variables updated with `assign` (or written in place where the
 * subclass's `updateInPlace` can), so a step allocates nothing that outlives it. They are created
 * (zeros) the first time a parameter has a gradient, which covers parameters unfrozen or added
 * (LoRA) mid-run.
 */
export abstract class GroupedOptimizer implements OptimizerPlugin {
  abstract readonly meta: PluginMeta;
  abstract readonly options: Readonly<Record<string, unknown>>;
  readonly baseLearningRate: number;
  private lrMultiplier = 1;
  /** Slot names, e.g. `['m', 'v']`; keys of the checkpointed tensors are `<slot>/<param>`. */
  protected abstract readonly slotNames: readonly string[];
  /**
   * True when `update` leaves no temporary tensor behind (a fused kernel, or its own `tf.tidy`):
   * `step` then skips the scope it otherwise opens around each parameter's update.
   */
  protected readonly updateFreesItsTemporaries: boolean = false;

  private groupList: ParamGroupSpec[] = [];
  private store: ParameterStore | undefined;
  private warn: (message: string) => void = () => {};
  private owner = new Map<string, number>();
  private resolvedVersion = -1;
  private resolvedGroups: ParamGroupSpec[] | undefined;
  private readonly slots = new Map<string, tf.Variable[]>();
  /** Update counts, boxed so `step`'s records share them (checkpointed as numbers). */
  private readonly steps = new Map<string, { t: number }>();
  /** `step`'s records for the gradients' names, kept while parameters, groups and state stay the same. */
  private plan: StepPlan | undefined;

  protected constructor(learningRate: number) {
    this.baseLearningRate = learningRate;
  }

  /** The rate the next step uses: `baseLearningRate × multiplier`. */
  get learningRate(): number {
    return this.baseLearningRate * this.lrMultiplier;
  }

  /** The multiplier a scheduler set last (1 if none). Checkpointed by this optimizer. */
  get learningRateMultiplier(): number {
    return this.lrMultiplier;
  }

  setLearningRateMultiplier(multiplier: number): void {
    if (!Number.isFinite(multiplier) || multiplier < 0) {
      throw new GraftError(ErrorCodes.INTERNAL, `learning-rate multiplier must be a finite number >= 0, got ${multiplier}`, { plugin: this.meta.name });
    }
    this.lrMultiplier = multiplier;
  }

  /** The optimizer's own weight decay, used when a group does not override it. */
  protected abstract baseWeightDecay(): number;

  /** One parameter's update: new value and new slots (same order as `slotNames`). Pure. */
  protected abstract update(param: tf.Tensor, grad: tf.Tensor, slots: readonly tf.Tensor[], hp: ParamHyper): SlotUpdate;

  /**
   * The same update written into the parameter and its slots, where the backend can do so unseen
   * (no new tensors: the allocations are a visible share of a small model's step); false, having
   * changed nothing, to have `update` run and its results assigned. By default always false.
   */
  protected updateInPlace(_param: tf.Variable, _grad: tf.Tensor, _slots: readonly tf.Variable[], _hp: ParamHyper): boolean {
    return false;
  }

  get groups(): ParamGroupSpec[] {
    return this.groupList;
  }

  /** Replace the groups (lr-groups plugins do this at setup). Validated; resolved again lazily. */
  set groups(groups: ParamGroupSpec[]) {
    this.groupList = validateGroups(this.meta.name, groups);
    this.resolvedGroups = undefined;
    this.plan = undefined;
  }

  apply(trainer: TrainerApi): void {
    this.store = trainer.params;
    this.warn = (m) => trainer.logger.warn(`${this.meta.name}: ${m}`);
    // After `adapt` (freezing, LoRA, lr groups): every group must select something, or it is a typo.
    trainer.tap('setup', this, () => this.checkGroups(trainer.params), { stage: 'optimizer' });
  }

  private checkGroups(store: ParameterStore): void {
    const names = store.names({ role: 'param' });
    for (const g of this.groupList) {
      if (!names.some((n) => matches(n, g.pattern))) {
        throw new GraftError(ErrorCodes.PARAMETER, `group "${g.name}": pattern ${describePattern(g.pattern)} matches no parameter`, {
          plugin: this.meta.name,
          option: 'groups',
          hint: 'List parameter names with `graft describe` or trainer.params.names()',
        });
      }
    }
    this.ensureResolved(store);
    for (let i = 0; i < this.groupList.length; i++) {
      if (![...this.owner.values()].includes(i)) {
        this.warn(`group "${this.groupList[i]!.name}" owns no parameter: an earlier group takes all its matches`);
      }
    }
  }

  /** Group ownership is recomputed when the groups or the parameter set (store.version) change. */
  private ensureResolved(store: ParameterStore): void {
    if (this.resolvedGroups === this.groupList && this.resolvedVersion === store.version && this.store === store) return;
    this.store = store;
    this.owner = resolveGroups(store.names({ role: 'param' }), this.groupList);
    this.resolvedGroups = this.groupList;
    this.resolvedVersion = store.version;
  }

  groupRates(): Record<string, number> {
    const rates: Record<string, number> = {};
    for (const g of this.groupList) rates[g.name] = this.learningRate * (g.lrScale ?? 1);
    let hasDefault = this.groupList.length === 0 || this.store === undefined;
    if (!hasDefault) {
      this.ensureResolved(this.store!);
      hasDefault = [...this.owner.values()].includes(-1);
    }
    if (hasDefault) rates[DEFAULT_GROUP] = this.learningRate;
    return rates;
  }

  /** The group a parameter belongs to right now (`default` if none). */
  groupOf(name: string): string {
    if (this.store) this.ensureResolved(this.store);
    const i = this.owner.get(name) ?? -1;
    return i < 0 ? DEFAULT_GROUP : this.groupList[i]!.name;
  }

  step(grads: GradMap, ctx: Pick<StepContext, 'trainer'>): void {
    const names = Object.keys(grads);
    const records = this.recordsFor(ctx.trainer.params, names);
    const lr = this.learningRate;
    const base = this.baseWeightDecay();
    for (let i = 0; i < names.length; i++) {
      const grad = grads[names[i]!];
      const r = records[i];
      // tfjs reports unconnected variables as missing or null: no gradient, no update, no decay.
      if (grad == null || r === null) continue;
      r.slots ??= this.slotsOf(r.name, r.variable);
      r.count ??= this.countOf(r.name);
      const t = r.count.t + 1;
      // The group read every step: a spec changed in place (not through `groups`) still applies.
      const g = r.group;
      const hp: ParamHyper = { lr: lr * (g?.lrScale ?? 1), weightDecay: r.decay ? (g?.weightDecay ?? base) : 0, t };
      // Written into the parameter and its slots where it can be: nothing to assign or free. Else
      // no scope per parameter when the update leaves nothing behind (a few microseconds each, a
      // visible share of a small model's step): only its outputs, once assigned, are freed.
      if (!this.updateInPlace(r.variable, grad, r.slots, hp)) {
        if (this.updateFreesItsTemporaries) this.assignUpdate(r.variable, grad, r.slots, hp, true);
        else tf.tidy(() => this.assignUpdate(r.variable, grad, r.slots!, hp, false));
      }
      r.count.t = t;
    }
  }

  /**
   * One record for each gradient (null: not a parameter), in the gradients' order, built again when the
   * names, the parameter set (store.version), the groups or the state change; otherwise a step
   * looks nothing up (a Map lookup or two per parameter, and the group, every step cost the
   * micro GPT's step a few microseconds: bench's hook overhead).
   */
  private recordsFor(store: ParameterStore, names: string[]): (StepRecord | null)[] {
    const p = this.plan;
    if (p && p.store === store && p.version === store.version && sameNames(p.names, names)) return p.records;
    this.ensureResolved(store);
    const records = names.map((name): StepRecord | null => {
      const entry = store.entry(name);
      if (entry.role !== 'param') return null;
      const gi = this.owner.get(name) ?? -1;
      return {
        name,
        variable: entry.variable,
        group: gi < 0 ? undefined : this.groupList[gi],
        decay: entry.decay,
        slots: this.slots.get(name),
        count: this.steps.get(name),
      };
    });
    this.plan = { store, version: store.version, names, records };
    return records;
  }

  private countOf(name: string): { t: number } {
    let count = this.steps.get(name);
    if (!count) this.steps.set(name, (count = { t: 0 }));
    return count;
  }

  /**
   * One parameter's update assigned to it and its slots; `free`: dispose the update's outputs
   * (no scope around it). A method, not a closure made per parameter: under tsx (esbuild's
   * keepNames) every named closure costs a defineProperty, ~0.4 µs, 16 times a step of a small GPT.
   */
  private assignUpdate(param: tf.Variable, grad: tf.Tensor, slotVars: tf.Variable[], hp: ParamHyper, free: boolean): void {
    const out = this.update(param, grad, slotVars, hp);
    param.assign(out.param);
    for (let i = 0; i < slotVars.length; i++) slotVars[i]!.assign(out.slots[i]!);
    if (free) {
      out.param.dispose();
      for (const s of out.slots) s.dispose();
    }
  }

  private slotsOf(name: string, like: tf.Tensor): tf.Variable[] {
    let vars = this.slots.get(name);
    if (!vars) {
      vars = this.slotNames.map(() => {
        const z = tf.zeros(like.shape, 'float32');
        const v = tf.variable(z, false);
        z.dispose();
        return v;
      });
      this.slots.set(name, vars);
    }
    return vars;
  }

  /**
   * Slot tensors as `<slot>/<param>` (e.g. `m/backbone.embed`), plus the learning-rate multiplier
   * and per-parameter step counts. The base rate is an option, so it is not state.
   */
  getState(): PluginState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, vars] of this.slots) vars.forEach((v, i) => (tensors[`${this.slotNames[i]}/${name}`] = v));
    const steps = Object.fromEntries([...this.steps].map(([name, c]) => [name, c.t]));
    return { json: { lrMultiplier: this.lrMultiplier, steps }, tensors };
  }

  setState(state: PluginState): void {
    const json = (state.json ?? {}) as { lrMultiplier?: number; learningRate?: number; steps?: Record<string, number> };
    const bad = (msg: string): never => {
      throw new GraftError(ErrorCodes.CHECKPOINT, msg, { plugin: this.meta.name, hint: 'The checkpoint was written by another optimizer or model' });
    };
    const incoming = new Map<string, (tf.Tensor | undefined)[]>();
    for (const [key, t] of Object.entries(state.tensors ?? {})) {
      const cut = key.indexOf('/');
      const slot = cut < 0 ? -1 : this.slotNames.indexOf(key.slice(0, cut));
      if (slot < 0) bad(`unknown state tensor "${key}"; expected <${this.slotNames.join('|')}>/<parameter>`);
      const name = key.slice(cut + 1);
      if (this.store?.has(name) && this.store.get(name).shape.join(',') !== t.shape.join(',')) {
        bad(`state tensor "${key}" has shape [${t.shape}] but the parameter has [${this.store.get(name).shape}]`);
      }
      const list = incoming.get(name) ?? this.slotNames.map(() => undefined);
      list[slot] = t;
      incoming.set(name, list);
    }
    for (const [name, list] of incoming) {
      if (list.some((t) => t === undefined)) bad(`state of parameter "${name}" lacks some of the slots ${this.slotNames.join(', ')}`);
    }
    this.disposeSlots();
    // tf.variable shares the loaded tensor's data and counts a reference: the caller may dispose it.
    for (const [name, list] of incoming) this.slots.set(name, list.map((t) => tf.variable(t!, false)));
    this.steps.clear();
    for (const [name, n] of Object.entries(json.steps ?? {})) this.steps.set(name, { t: n });
    if (typeof json.lrMultiplier === 'number') this.lrMultiplier = json.lrMultiplier;
    // Checkpoints before the multiplier saved the effective rate (`learningRate`): keep that rate.
    else if (typeof json.learningRate === 'number') this.lrMultiplier = this.baseLearningRate === 0 ? 1 : json.learningRate / this.baseLearningRate;
  }

  /** Number of parameters with slots (for tests and diagnostics). */
  get slotCount(): number {
    return this.slots.size;
  }

  private disposeSlots(): void {
    for (const vars of this.slots.values()) for (const v of vars) v.dispose();
    this.slots.clear();
    this.plan = undefined;
  }

  dispose(): void {
    this.disposeSlots();
    this.steps.clear();
  }
}

/** What `step` needs of one parameter; slots and count from its first gradient on. */
interface StepRecord {
  name: string;
  variable: tf.Variable;
  /** Its group (undefined: the default group's rate and the optimizer's decay). */
  group: ParamGroupSpec | undefined;
  /** Whether it was created with `decay: true`. */
  decay: boolean;
  slots: tf.Variable[] | undefined;
  count: { t: number } | undefined;
}

interface StepPlan {
  store: ParameterStore;
  version: number;
  names: string[];
  records: (StepRecord | null)[];
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
