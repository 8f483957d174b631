import type { Trainer } from '../../core/index.ts';
import { generate, type GenerateOptions } from '../../plugins/generation/index.ts';

/** Encode a prompt with the recipe's tokenizer, generate, and decode the whole text. */
export async function sampleText(trainer: Trainer, prompt: string, opts: GenerateOptions): Promise<string> {
  const tok = trainer.role('tokenizer').tokenizer;
  const ids = await generate(trainer, tok.encode(prompt), opts);
  return tok.decode(ids);
}
