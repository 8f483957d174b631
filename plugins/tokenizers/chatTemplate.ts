import { ErrorCodes, GraftError, type SpecialToken, type Tokenizer } from '../../core/index.ts';

export type ChatRole = 'system' | 'user' | 'assistant';
export const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/**
 * A chat template, as saved in the tokenizer's JSON (`chatTemplate`): the spelling of one added
 * token per role and of the end-of-turn token. A message is `<role token> content <end-of-turn>`;
 * the added tokens get ids after the tokenizer's own vocabulary, in the order system, user,
 * assistant, endOfTurn. Text that spells them is plain text: only the template puts them in.
 */
export interface ChatTemplate {
  version: 1;
  system: string;
  user: string;
  assistant: string;
  endOfTurn: string;
}

export const DEFAULT_CHAT_TEMPLATE: Readonly<ChatTemplate> = Object.freeze({
  version: 1,
  system: '<|system|>',
  user: '<|user|>',
  assistant: '<|assistant|>',
  endOfTurn: '<|end|>',
});

const TOKEN_KEYS = ['system', 'user', 'assistant', 'endOfTurn'] as const;

/** The template's token ids in a tokenizer that carries it, and its encoder: what `applyChatTemplate` needs. */
export interface ResolvedChatTemplate {
  readonly template: Readonly<ChatTemplate>;
  readonly ids: Readonly<Record<ChatRole | 'endOfTurn', number>>;
  encode(text: string): Int32Array;
}

/** Check a `chatTemplate` value (from JSON or options): version 1, four distinct non-empty strings. */
export function checkChatTemplate(json: unknown, where = 'chatTemplate'): ChatTemplate {
  const j = json as Partial<ChatTemplate> | null;
  const ok =
    typeof j === 'object' &&
    j !== null &&
    j.version === 1 &&
    TOKEN_KEYS.every((k) => typeof j[k] === 'string' && j[k] !== '') &&
    new Set(TOKEN_KEYS.map((k) => j[k])).size === TOKEN_KEYS.length;
  if (!ok) {
    throw new GraftError(ErrorCodes.DATA, `malformed chat template (${where})`, {
      expected: '{ version: 1, system, user, assistant, endOfTurn }: four distinct non-empty token strings',
      received: json,
    });
  }
  return { version: 1, system: j.system!, user: j.user!, assistant: j.assistant!, endOfTurn: j.endOfTurn! };
}

const sameTemplate = (a: ChatTemplate, b: ChatTemplate) => TOKEN_KEYS.every((k) => a[k] === b[k]);

/**
 * A tokenizer with a chat template: the base tokenizer's vocabulary, then the template's four
 * tokens. Encoding is the base's (the role tokens are never read from text); decoding writes the
 * added tokens' strings (or skips them with `skipSpecials`). `toJSON()` is the base's JSON plus
 * `chatTemplate`, so the template travels with the tokenizer in every checkpoint, and
 * `loadTokenizer` / the tokenizer plugins restore it (`restoreChatTemplate`).
 */
export class ChatTokenizer implements Tokenizer {
  readonly type: string;
  readonly vocabSize: number;
  readonly specials: Readonly<Partial<Record<SpecialToken, number>>>;
  readonly chat: ResolvedChatTemplate;
  private readonly strings: readonly string[];

  constructor(
    readonly base: Tokenizer,
    template: ChatTemplate,
  ) {
    const t = checkChatTemplate(template);
    this.type = base.type;
    this.specials = base.specials;
    this.strings = TOKEN_KEYS.map((k) => t[k]);
    for (const s of this.strings) {
      if (base.tokenToId(s) !== undefined) {
        throw new GraftError(ErrorCodes.DATA, `the chat template token "${s}" is already a token of the ${base.type} tokenizer`, {
          hint: 'Spell the template tokens so that the vocabulary does not have them (e.g. <|user|>)',
        });
      }
    }
    const V = base.vocabSize;
    this.vocabSize = V + this.strings.length;
    const ids = { system: V, user: V + 1, assistant: V + 2, endOfTurn: V + 3 };
    this.chat = { template: Object.freeze({ ...t }), ids: Object.freeze(ids), encode: (text) => base.encode(text) };
  }

  encode(text: string): Int32Array {
    return this.base.encode(text);
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecials?: boolean } = {}): string {
    const V = this.base.vocabSize;
    let out = '';
    let run: number[] = [];
    const flush = () => {
      if (run.length) out += (this.base.decode as (ids: ArrayLike<number>, o?: unknown) => string)(run, opts);
      run = [];
    };
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (id < V) {
        run.push(id);
        continue;
      }
      flush();
      if (!Number.isInteger(id) || id >= this.vocabSize) {
        throw new GraftError(ErrorCodes.DATA, 'token id out of range', { plugin: `tokenizer:${this.type}`, expected: `an integer in [0, ${this.vocabSize})`, received: id });
      }
      if (!opts.skipSpecials) out += this.strings[id - V]!;
    }
    flush();
    return out;
  }

  idToToken(id: number): string {
    const V = this.base.vocabSize;
    return id >= V && id < this.vocabSize && Number.isInteger(id) ? this.strings[id - V]! : this.base.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    const k = this.strings.indexOf(token);
    return k >= 0 ? this.base.vocabSize + k : this.base.tokenToId(token);
  }

  toJSON(): { type: string; [k: string]: unknown } {
    return { ...this.base.toJSON(), chatTemplate: { ...this.chat.template } };
  }
}

/** The chat template a tokenizer carries, resolved to ids; undefined if it has none. */
export function chatTemplateOf(tokenizer: Tokenizer): ResolvedChatTemplate | undefined {
  return tokenizer instanceof ChatTokenizer ? tokenizer.chat : undefined;
}

/**
 * `tokenizer` with `template` added: itself if it already carries that template; an error if it
 * carries another one (the ids would differ from those the model learned).
 */
export function withChatTemplate(tokenizer: Tokenizer, template: ChatTemplate = DEFAULT_CHAT_TEMPLATE): ChatTokenizer {
  if (tokenizer instanceof ChatTokenizer) {
    if (sameTemplate(tokenizer.chat.template, template)) return tokenizer;
    throw new GraftError(ErrorCodes.DATA, 'the tokenizer already carries another chat template', {
      expected: JSON.stringify(template),
      received: JSON.stringify(tokenizer.chat.template),
    });
  }
  return new ChatTokenizer(tokenizer, template);
}

/** After a tokenizer is rebuilt from JSON: wrapped with its saved `chatTemplate`, if the JSON has one. */
export function restoreChatTemplate(json: unknown, base: Tokenizer): Tokenizer {
  const t = typeof json === 'object' && json !== null ? (json as { chatTemplate?: unknown }).chatTemplate : undefined;
  return t === undefined ? base : new ChatTokenizer(base, checkChatTemplate(t, 'field "chatTemplate" of the tokenizer JSON'));
}

/** Token ids of a conversation, and for each id whether it belongs to an assistant's reply. */
export interface ChatTokens {
  ids: Int32Array;
  /** 1 on the tokens of assistant messages' content and the end-of-turn after each; 0 elsewhere. */
  response: Uint8Array;
}

/**
 * The token ids of `messages` in the template: each message is `<role> content <end-of-turn>`;
 * `addGenerationPrompt` appends `<assistant>` so a model continues with the reply. The response
 * flags mark what an instruction-tuned model learns to produce: the assistant's content and the
 * end-of-turn that closes it (so it learns to stop); never the role tokens, which the template
 * supplies. Pure: the same messages and template give the same ids.
 */
export function applyChatTemplate(messages: readonly ChatMessage[], chat: ResolvedChatTemplate, opts: { addGenerationPrompt?: boolean } = {}): ChatTokens {
  const ids: number[] = [];
  const response: number[] = [];
  for (const [i, m] of messages.entries()) {
    if (!CHAT_ROLES.includes(m.role) || typeof m.content !== 'string') {
      throw new GraftError(ErrorCodes.DATA, `message ${i + 1} is not a chat message`, { expected: `{ role: ${CHAT_ROLES.join('|')}, content: string }`, received: m });
    }
    const flag = m.role === 'assistant' ? 1 : 0;
    ids.push(chat.ids[m.role]);
    response.push(0);
    for (const id of chat.encode(m.content)) {
      ids.push(id);
      response.push(flag);
    }
    ids.push(chat.ids.endOfTurn);
    response.push(flag);
  }
  if (opts.addGenerationPrompt) {
    ids.push(chat.ids.assistant);
    response.push(0);
  }
  return { ids: Int32Array.from(ids), response: Uint8Array.from(response) };
}
