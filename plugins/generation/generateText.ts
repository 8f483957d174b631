import { ErrorCodes, GraftError } from '../../core/index.ts';
import { generate, type GenerateOptions, type Generator } from './generate.ts';

/**
 * Text in, text out: encode `prompt` with the recipe's tokenizer, `generate`, and return the
 * prompt followed by the decoded continuation. Generation stops at the tokenizer's `eos` (not
 * included in the text) unless `stopAt` is given; an empty prompt starts from `bos`.
 */
export async function generateText(trainer: Generator, prompt: string, options: GenerateOptions = {}): Promise<string> {
  const tok = trainer.role('tokenizer').tokenizer;
  let ids = Array.from(tok.encode(prompt));
  if (ids.length === 0) {
    if (tok.specials.bos === undefined) {
      throw new GraftError(ErrorCodes.DATA, 'the prompt encodes to no tokens and the tokenizer has no bos token to start from', { hint: 'Give a non-empty prompt' });
    }
    ids = [tok.specials.bos];
  }
  const eos = tok.specials.eos;
  const stopAt = options.stopAt ?? (eos === undefined ? [] : [eos]);
  const out = await generate(trainer, ids, { ...options, stopAt });
  const added = out.slice(ids.length);
  if (added.length > 0 && stopAt.includes(added[added.length - 1]!)) added.pop();
  return prompt + tok.decode(added);
}
