import {
  badOption,
  resolveOptions,
  type GraftPlugin,
  type ParamPattern,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { freezePlan } from './freezePlan.ts';

export const FREEZE_OPTIONS = {
  pattern: { type: 'any', doc: 'Parameters to freeze (with `invert`: to train): a glob (`backbone.**`) or a list of globs.' },
  exceptHead: { type: 'boolean', default: false, doc: 'Freeze everything except the head (linear probe); excludes `pattern` and `invert`.' },
  invert: { type: 'boolean', default: false, doc: 'Train only `pattern` instead: freeze everything, then unfreeze it (BitFit: `**.bias`).' },
} as const satisfies OptionSchema;

export interface FreezeOptionsInput {
  pattern?: string | string[];
  exceptHead?: boolean;
  invert?: boolean;
}

/** Where head parameters live by convention when the recipe has no head plugin (toy models). */
const HEAD_PREFIX = 'head.**';

/**
 * Freezes parameters once, at setup (stage `adapt`): by pattern, all but the head (linear probe),
 * or all but a pattern (BitFit). Freezing flags are saved in checkpoints, so it keeps no state.
 */
export class ParamFreezing implements GraftPlugin {
  static readonly meta = { name: 'freezing:freeze', kind: 'freezing', description: 'Freeze parameters by pattern, all but the head, or all but a pattern' } as const satisfies PluginMeta;
  static readonly options = FREEZE_OPTIONS;
  readonly meta = ParamFreezing.meta;
  readonly options: Readonly<{ pattern: string | string[] | undefined; exceptHead: boolean; invert: boolean }>;

  constructor(input: FreezeOptionsInput = {}) {
    const o = resolveOptions(this.meta.name, FREEZE_OPTIONS, input);
    const p = o.pattern;
    const isGlob = (s: unknown) => typeof s === 'string' && s.length > 0;
    if (p !== undefined && !(isGlob(p) || (Array.isArray(p) && p.length > 0 && p.every(isGlob)))) {
      throw badOption(this.meta.name, 'pattern', 'a non-empty glob string or a non-empty list of them', p);
    }
    if (o.exceptHead && p !== undefined) throw badOption(this.meta.name, 'pattern', 'no pattern with exceptHead: true (it freezes all but the head)', p);
    if (!o.exceptHead && p === undefined) throw badOption(this.meta.name, 'pattern', 'a pattern to freeze (or exceptHead: true)', p);
    if (o.invert && o.exceptHead) throw badOption(this.meta.name, 'invert', 'false with exceptHead (exceptHead already trains only the head)', o.invert);
    this.options = { pattern: p as string | string[] | undefined, exceptHead: o.exceptHead, invert: o.invert };
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => {
      const head: readonly ParamPattern[] = trainer.maybeRole('head')?.layerGroups() ?? [HEAD_PREFIX];
      const plan = freezePlan(this.options, head);
      for (const step of plan) trainer.params.setTrainable(step.pattern, step.trainable, this.meta.name);
      trainer.logger.info(`${this.meta.name}: ${trainer.params.count({ trainableOnly: true })} of ${trainer.params.count()} parameters train`);
    }, { stage: 'adapt' });
  }
}
