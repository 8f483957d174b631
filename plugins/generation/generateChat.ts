import { ErrorCodes, GraftError } from '../../core/index.ts';
import { fitToLength, isFitError } from '../datasets/instructions/encodeInstruction.ts';
import { applyChatTemplate, chatTemplateOf, type ChatMessage } from '../tokenizers/index.ts';
import { generate, type GenerateOptions, type Generator } from './generate.ts';

export interface ChatReply {
  /** The reply's text (its end-of-turn left out). */
  text: string;
  /** Token ids of the reply, the end-of-turn left out. */
  ids: number[];
  /** Whether the model ended its turn (rather than reaching maxNewTokens). */
  ended: boolean;
}

/**
 * The assistant's reply to a conversation: the messages in the tokenizer's chat template with the
 * generation prompt (`<assistant>`), generation until the end-of-turn token (or maxNewTokens).
 * A prompt too long for the model's context is cut from the left (its first token kept), leaving
 * room for maxNewTokens, the rule `dataset:instructions` trains with. The tokenizer must carry a
 * chat template (instruction-tuned checkpoints save it).
 */
export async function generateChat(trainer: Generator, messages: readonly ChatMessage[], options: GenerateOptions = {}): Promise<ChatReply> {
  const tok = trainer.role('tokenizer').tokenizer;
  const chat = chatTemplateOf(tok);
  if (!chat) {
    throw new GraftError(ErrorCodes.DATA, 'the tokenizer has no chat template', {
      plugin: 'generate',
      hint: 'Use a checkpoint trained on instruction data (dataset:instructions adds the template to its tokenizer)',
    });
  }
  const maxNew = options.maxNewTokens ?? 32;
  const context = options.contextLength ?? trainer.role('model').contextLength;
  const tokens = applyChatTemplate(messages, chat, { addGenerationPrompt: true });
  const room = context === undefined ? tokens.ids.length : Math.max(1, context - maxNew);
  const fit = fitToLength(tokens, room);
  const prompt = isFitError(fit) ? tokens.ids : fit.ids;
  const end = chat.ids.endOfTurn;
  const out = await generate(trainer, prompt, { ...options, maxNewTokens: maxNew, stopAt: [end] });
  const ids = out.slice(prompt.length);
  const ended = ids.length > 0 && ids[ids.length - 1] === end;
  if (ended) ids.pop();
  return { text: (tok.decode as (ids: ArrayLike<number>, o?: { skipSpecials?: boolean }) => string)(ids, { skipSpecials: true }), ids, ended };
}
