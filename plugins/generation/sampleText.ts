import { generate, type GenerateOptions, type Generator } from './generate.ts';

/**
 * Encode a prompt with the recipe's tokenizer, `generate`, and decode the whole text (prompt
 * included). Unlike `generateText`, it does not stop at `eos`: what `callback:sample-text` and
 * `graft generate` print.
 */
export async function sampleText(trainer: Generator, prompt: string, opts: GenerateOptions): Promise<string> {
  const tok = trainer.role('tokenizer').tokenizer;
  const ids = await generate(trainer, tok.encode(prompt), opts);
  return tok.decode(ids);
}
