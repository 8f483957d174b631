import { ErrorCodes, GraftError } from '../core/index.ts';
import { generateChat, type Generator } from '../plugins/generation/index.ts';
import { chatTemplateOf } from '../plugins/tokenizers/index.ts';
import { intFlag, numberFlag, type ParsedArgs } from './args.ts';

/**
 * `graft generate <checkpoint> --chat --prompt TEXT`: the prompt as one user message in the
 * checkpoint tokenizer's chat template, the reply generated until the end-of-turn token (or
 * --max-tokens, default 64). Greedy unless --temperature is given. A checkpoint whose tokenizer has
 * no template is a usage error (exit 2): it was not trained on instruction data.
 */
export async function chatReplyText(trainer: Generator, prompt: string, flags: ParsedArgs['flags']): Promise<string> {
  if (!chatTemplateOf(trainer.role('tokenizer').tokenizer)) {
    throw new GraftError(ErrorCodes.USAGE, 'the checkpoint\'s tokenizer has no chat template, so --chat cannot wrap the prompt', {
      hint: 'Use a checkpoint of an instruction-tuned stage (dataset:instructions, e.g. the tune stage of instruction-tune), or drop --chat',
    });
  }
  const reply = await generateChat(trainer, [{ role: 'user', content: prompt }], {
    maxNewTokens: intFlag(flags, 'max-tokens', 64),
    temperature: numberFlag(flags, 'temperature', 0),
    topK: intFlag(flags, 'top-k', 0),
    seed: intFlag(flags, 'seed', 42),
  });
  return reply.text;
}
