import { definePreset } from '../runner/Preset.ts';
import { ULMFIT_CONFIG } from './config.ts';
import { classifierStage, generalLmStage, targetLmStage } from './ulmfitStages.ts';

export const ulmfitPreset = definePreset({
  name: 'ulmfit-3-stage',
  description: 'ULMFiT: general LM pre-training, target-domain LM fine-tuning, classifier fine-tuning (SpamAssassin).',
  config: ULMFIT_CONFIG,
  stages: (c) => [generalLmStage(c), targetLmStage(c), classifierStage(c)],
});
