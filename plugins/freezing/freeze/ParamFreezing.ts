import { badOption, resolveOptions, type GraftPlugin, type ParamPattern, type TrainerApi } from '../../../core/index.ts';
import { freezePlan } from './freezePlan.ts';
import { FREEZE_OPTIONS, type FreezeOptionsInput } from './options.ts';

const NAME = 'freezing:freeze';
/** Where head parameters live by convention when the recipe has no head plugin (toy models). */
const HEAD_PREFIX = 'head.**';

/**
 * Freezes parameters once, at setup (stage `adapt`): by pattern, all but the head (linear probe),
 * or all but a pattern (BitFit). Freezing flags are saved in checkpoints, so it keeps no state.
 */
export class ParamFreezing implements GraftPlugin {
  readonly meta = { name: NAME, kind: 'freezing', description: 'Freeze parameters by pattern, all but the head, or all but a pattern' } as const;
  readonly options: Readonly<{ pattern: string | string[] | undefined; exceptHead: boolean; invert: boolean }>;

  constructor(input: FreezeOptionsInput = {}) {
    const o = resolveOptions(NAME, FREEZE_OPTIONS, input);
    const p = o.pattern;
    const isGlob = (s: unknown) => typeof s === 'string' && s.length > 0;
    if (p !== undefined && !(isGlob(p) || (Array.isArray(p) && p.length > 0 && p.every(isGlob)))) {
      throw badOption(NAME, 'pattern', 'a non-empty glob string or a non-empty list of them', p);
    }
    if (o.exceptHead && p !== undefined) throw badOption(NAME, 'pattern', 'no pattern with exceptHead: true (it freezes all but the head)', p);
    if (!o.exceptHead && p === undefined) throw badOption(NAME, 'pattern', 'a pattern to freeze (or exceptHead: true)', p);
    if (o.invert && o.exceptHead) throw badOption(NAME, 'invert', 'false with exceptHead (exceptHead already trains only the head)', o.invert);
    this.options = { pattern: p as string | string[] | undefined, exceptHead: o.exceptHead, invert: o.invert };
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => {
      const head: readonly ParamPattern[] = trainer.maybeRole('head')?.layerGroups() ?? [HEAD_PREFIX];
      const plan = freezePlan(this.options, head);
      for (const step of plan) trainer.params.setTrainable(step.pattern, step.trainable, NAME);
      trainer.logger.info(`${NAME}: ${trainer.params.count({ trainableOnly: true })} of ${trainer.params.count()} parameters train`);
    }, { stage: 'adapt' });
  }
}
