import { finetuneMethodChoice } from '../finetune-methods/finetuneMethods.ts';
import { finetuneClassifierStage, gptPretrainStageFm } from '../finetune-methods/finetuneMethodsPreset.ts';
import { recipe } from '../recipe/index.ts';

/**
 * One fine-tuning run with the method as one key: the `finetune-methods` recipe's GPT pre-training
 * and classifier stages, no experiment. `--set finetune.method=lora` (full, lora, bitfit,
 * linear-probe, adapters, layerwise-lr) puts the method's plugin in the classifier's `method` slot;
 * its options are then keys of the slot (`classifier.method.rank`).
 */
export const gptFinetunePreset = recipe({
  name: 'gpt-finetune',
  description: 'Pre-train a small GPT, then fine-tune it into a SpamAssassin classifier by one method (finetune.method: full, lora, bitfit, linear-probe, adapters, layerwise-lr).',
  stages: [gptPretrainStageFm, finetuneClassifierStage],
  aliases: {
    'finetune.method': finetuneMethodChoice('classifier.method'),
    'pretrain.sources': 'gpt.dataset.sources',
    'pretrain.maxChars': 'gpt.dataset.maxChars',
    'pretrain.steps': 'gpt.trainer.maxSteps',
    'model.contextLength': ['gpt.model.contextLength', 'classifier.model.contextLength', 'gpt.dataset.seqLen', 'classifier.dataset.maxLen'],
    'model.nLayers': ['gpt.model.nLayers', 'classifier.model.nLayers'],
    'model.dModel': ['gpt.model.dModel', 'classifier.model.dModel'],
    'task.source': 'classifier.dataset.source',
    'task.trainSize': 'classifier.dataset.trainSize',
    'task.steps': 'classifier.trainer.maxSteps',
    'task.lr': 'classifier.optimizer.lr',
  },
});
