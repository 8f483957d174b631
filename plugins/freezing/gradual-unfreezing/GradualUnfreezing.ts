import {
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type ParamPattern,
  type PluginState,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { stackLayerGroups } from '../shared/stackLayerGroups.ts';
import { epochsStarted, groupsToTrain, unfreezeAllAtStart, unfreezeDecisionText } from './groupsToTrain.ts';

export const GRADUAL_UNFREEZING_OPTIONS = {
  unfreezeEvery: { type: 'integer', default: 1, min: 0, doc: 'Epochs between unfreezing one more layer group (from the top); 0: every group trains from the first step.' },
  whenShort: {
    type: 'enum',
    values: ['keep-schedule', 'unfreeze-all'],
    default: 'keep-schedule',
    doc: "When the run starts fewer epochs than it takes to unfreeze the bottom group (decided when it starts, from its epochs, maxSteps and batches per epoch): 'keep-schedule' unfreezes as far as the run goes; 'unfreeze-all' trains every group from the first step (each still at its own rate), rather than the lower layers never training.",
  },
} as const satisfies OptionSchema;

/**
 * Gradual unfreezing (Howard & Ruder 2018): the layer groups (model's, then head's) are frozen
 * at setup except the top one; at the start of each later epoch one more group from the top
 * is unfrozen. When the run starts, `whenShort` may unfreeze all of them instead (a run too short
 * to reach the bottom group); with `unfreezeEvery` 0 nothing is frozen. Parameters in no layer
 * group are left as they are.
 */
export class GradualUnfreezing implements GraftPlugin {
  static readonly meta = { name: 'freezing:gradual-unfreezing', kind: 'freezing', description: 'ULMFiT gradual unfreezing, one layer group per epoch from the top' } as const satisfies PluginMeta;
  static readonly options = GRADUAL_UNFREEZING_OPTIONS;
  readonly meta = GradualUnfreezing.meta;
  readonly options: Readonly<ResolvedOptions<typeof GRADUAL_UNFREEZING_OPTIONS>>;
  private groups: ParamPattern[] = [];
  private trainer: TrainerApi | undefined;
  /** Layer groups, from the top, that currently train. */
  private unfrozen = 0;
  /** A stage restored before setup, applied once the groups are known. */
  private pending = 0;
  /** Decided at the start of the run: every group trains (`whenShort`, `unfreezeEvery` 0). */
  private all = false;

  constructor(input: InputOptions<typeof GRADUAL_UNFREEZING_OPTIONS> = {}) {
    this.options = resolveOptions(this.meta.name, GRADUAL_UNFREEZING_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    trainer.tap('setup', this, () => {
      this.groups = stackLayerGroups(trainer, this.meta.name);
      // unfreezeEvery 0: every group trains from the first step, so nothing is frozen at all.
      const every = this.options.unfreezeEvery > 0;
      if (every) for (const g of this.groups.slice(0, -1)) trainer.params.setTrainable(g, false, this.meta.name);
      this.unfrozen = every ? 1 : this.groups.length;
      this.unfreezeTo(this.pending);
    }, { stage: 'adapt' });
    // The trainer has fixed the run's length (minSteps) before beforeRun; a resumed run computes the
    // same length from the same options and data, so it reaches the same decision.
    trainer.tap('beforeRun', this, (ctx) => {
      const n = this.groups.length;
      const every = this.options.unfreezeEvery;
      const epochsRun = epochsStarted(ctx.state.maxEpochs, ctx.state.maxSteps, trainer.role('dataset').numBatches('train'));
      this.all = unfreezeAllAtStart({ numGroups: n, unfreezeEvery: every, whenShort: this.options.whenShort, epochsRun });
      trainer.logger.info(`${this.meta.name}: ${unfreezeDecisionText({ numGroups: n, unfreezeEvery: every, whenShort: this.options.whenShort, epochsRun, all: this.all })}`);
      if (this.all) this.unfreezeTo(n);
    });
    trainer.tap('beforeEpoch', this, (ctx) => {
      if (!this.all) this.unfreezeTo(groupsToTrain(ctx.state.epoch, this.groups.length, this.options.unfreezeEvery));
    });
  }

  /** Layer groups, counted from the top, that train now. */
  get trainingGroups(): number {
    return this.unfrozen;
  }

  private unfreezeTo(target: number): void {
    const n = this.groups.length;
    if (n === 0 || !this.trainer) {
      this.pending = target;
      return;
    }
    target = Math.min(target, n);
    if (target <= this.unfrozen) return;
    for (let i = n - target; i < n - this.unfrozen; i++) this.trainer.params.setTrainable(this.groups[i]!, true, this.meta.name);
    this.trainer.logger.info(`${this.meta.name}: ${target} of ${n} layer groups train`);
    this.unfrozen = target;
  }

  getState(): PluginState {
    return { json: { unfrozen: this.unfrozen } };
  }

  /** Restores the stage; the top groups it names are unfrozen (checkpoints also restore the flags). */
  setState(state: PluginState): void {
    const u = (state.json as { unfrozen?: number } | undefined)?.unfrozen;
    if (typeof u === 'number') this.unfreezeTo(u);
  }
}
