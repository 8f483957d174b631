import type { Logger } from 'winston';
import { addPlugins, createTrainer, type GraftPlugin, type Trainer, type TrainerOptionsInput } from '../../core/index.ts';
import type { StageContext, StageSpec } from './Preset.ts';

/**
 * The trainer of one stage, built as every caller (the runner, `validateRun`, `graft describe`)
 * builds it: the stage's plugins in their slots, its container modules (parts swapped in), and
 * `extra` plugins outside the slots (loggers, the runner's checkpoint and signal plugins), applied
 * after the stage's own.
 */
export function createStageTrainer(
  stage: StageSpec,
  ctx: StageContext,
  o: { plugins?: GraftPlugin[]; extra?: readonly GraftPlugin[]; options?: TrainerOptionsInput; logger?: Logger } = {},
): Trainer {
  const modules = [...(stage.modules?.(ctx) ?? [])];
  if (o.extra?.length) modules.push(addPlugins(o.extra));
  return createTrainer({
    plugins: o.plugins ?? stage.plugins(ctx),
    slots: stage.slots,
    modules,
    options: o.options ?? stage.options(ctx),
    logger: o.logger,
  });
}
