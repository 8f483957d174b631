import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  constantInit,
  describePattern,
  matches,
  resolveOptions,
  uniformInit,
  type GraftPlugin,
  type ParamPattern,
  type ParameterStore,
  type PluginState,
  type Rng,
  type TrainerApi,
  type PluginMeta,
} from '../../../core/index.ts';
import { checkPatternOption } from '../../init/shared/checkPatternOption.ts';
import { freezeAllExcept } from '../shared/freezeAllExcept.ts';
import { loraWeight } from './loraWeight.ts';
import { LORA_OPTIONS, type LoraOptionsInput } from './options.ts';

export interface LoraOptions {
  target: ParamPattern;
  rank: number;
  alpha: number;
  dropout: number;
  trainOnly: boolean;
  alsoTrain: string[];
}

/** One adapted matrix: its name, shape and the names of its two factors. */
export interface LoraTarget {
  name: string;
  inDim: number;
  outDim: number;
  a: string;
  b: string;
}

/** Where the factors of `target` live: `adapter.lora.<target>.A` / `.B`. */
export function loraParamNames(target: string): { a: string; b: string } {
  return { a: `adapter.lora.${target}.A`, b: `adapter.lora.${target}.B` };
}

/**
 * `adapter:lora`: low-rank adaptation (Hu et al. 2021). In `setup` at stage `adapt`, for every
 * weight matching `target` it creates A [in, r] (Kaiming-uniform, from the run's Rng) and
 * B [r, out] (zeros, so the model is unchanged at the start), registers the parameter transform
 * `w => w + (alpha / r) * A @ B`, and freezes everything but A, B and `alsoTrain`.
 * `merge()` folds the update into the weights for export.
 */
export class LoraAdapter implements GraftPlugin {
  static readonly meta = { name: 'adapter:lora', kind: 'adapter', description: 'LoRA: frozen weights plus a trained low-rank update (alpha/r)·A·B' } as const satisfies PluginMeta;
  static readonly options = LORA_OPTIONS;
  readonly meta = LoraAdapter.meta;
  readonly options: Readonly<LoraOptions>;
  private store: ParameterStore | undefined;
  private dropoutRng: Rng | undefined;
  private adapted: LoraTarget[] = [];

  constructor(input: LoraOptionsInput = {}) {
    const o = resolveOptions(this.meta.name, LORA_OPTIONS, input);
    this.options = { ...o, target: checkPatternOption(this.meta.name, 'target', o.target) };
  }

  /** The update's scale, alpha / r. */
  get scale(): number {
    return this.options.alpha / this.options.rank;
  }

  /** The adapted matrices (after setup; empty after `merge`). */
  get targets(): readonly LoraTarget[] {
    return this.adapted;
  }

  apply(trainer: TrainerApi): void {
    this.store = trainer.params;
    this.dropoutRng = trainer.rng.fork(`${this.meta.name}/dropout`);
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'adapt' });
  }

  private build(trainer: TrainerApi): void {
    const o = this.options;
    const params = trainer.params;
    const names = params.names({ role: 'param' }).filter((n) => matches(n, o.target));
    if (names.length === 0) {
      throw new GraftError(ErrorCodes.PARAMETER, `pattern ${describePattern(o.target)} matches no parameter`, {
        plugin: this.meta.name,
        option: 'target',
        hint: 'List parameter names with `graft describe` or trainer.params.names()',
      });
    }
    const rng = trainer.rng.fork(this.meta.name);
    for (const name of names) {
      const shape = params.get(name).shape;
      if (shape.length !== 2) {
        throw new GraftError(ErrorCodes.PARAMETER, `parameter "${name}" has shape [${shape}]`, { plugin: this.meta.name, option: 'target', expected: 'weight matrices [in, out]' });
      }
      const [inDim, outDim] = shape as [number, number];
      if (o.rank > Math.min(inDim, outDim)) {
        throw new GraftError(ErrorCodes.BAD_OPTION, `rank ${o.rank} exceeds min(in, out) = ${Math.min(inDim, outDim)} of "${name}" [${shape}]: not a low-rank update`, {
          plugin: this.meta.name,
          option: 'rank',
        });
      }
      const { a, b } = loraParamNames(name);
      // As PEFT/loralib: A ~ U(±1/sqrt(in)) (Kaiming-uniform with a = sqrt(5)), B = 0, so A @ B = 0 at the start.
      params.create(a, [inDim, o.rank], uniformInit(rng, inDim * o.rank, 1 / Math.sqrt(inDim)), { owner: this.meta.name });
      params.create(b, [o.rank, outDim], constantInit(o.rank * outDim, 0), { owner: this.meta.name });
      const target: LoraTarget = { name, inDim, outDim, a, b };
      params.addTransform(this.meta.name, name, (w, info) => this.adapt(w, target, info.training));
      this.adapted.push(target);
    }
    if (o.trainOnly) freezeAllExcept(params, 'adapter.lora.**', o.alsoTrain, this.meta.name);
    trainer.logger.info(
      `${this.meta.name}: adapted ${this.adapted.length} matrices with rank ${o.rank} (scale ${this.scale}), ` +
        `${this.adapted.reduce((n, t) => n + o.rank * (t.inDim + t.outDim), 0)} LoRA parameters`,
    );
  }

  private adapt(w: tf.Tensor, t: LoraTarget, training: boolean): tf.Tensor {
    const params = this.store!;
    let a = params.read(t.a, training);
    const rate = this.options.dropout;
    // Dropping row i of A drops input feature i from the low-rank path: LoRA's input dropout, one mask per step.
    if (training && rate > 0) a = tf.dropout(a, rate, [t.inDim, 1], this.dropoutRng!.seed());
    return loraWeight(w, a, params.read(t.b, training), this.scale);
  }

  /**
   * Fold the update into the base weights (`w += (alpha/r) A @ B`), remove the transforms and
   * the A/B parameters: the model then computes what the adapted one did, with no adapter left,
   * ready to save or export. The base weights stay as frozen as they were. Returns the merged names.
   */
  merge(): string[] {
    const params = this.store;
    if (!params || this.adapted.length === 0) {
      throw new GraftError(ErrorCodes.PARAMETER, 'nothing to merge', { plugin: this.meta.name, hint: 'Call merge() after trainer.setup(), once' });
    }
    tf.tidy(() => {
      for (const t of this.adapted) {
        const w = params.get(t.name);
        w.assign(loraWeight(w, params.get(t.a), params.get(t.b), this.scale));
      }
    });
    params.removeTransforms(this.meta.name);
    params.remove('adapter.lora.**', this.meta.name);
    const merged = this.adapted.map((t) => t.name);
    this.adapted = [];
    return merged;
  }

  getState(): PluginState {
    return { json: { dropoutRng: this.dropoutRng?.getState() } };
  }

  setState(state: PluginState): void {
    const s = state.json as { dropoutRng?: number } | undefined;
    if (s?.dropoutRng !== undefined) this.dropoutRng?.setState(s.dropoutRng);
  }
}
