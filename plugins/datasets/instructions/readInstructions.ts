import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { CHAT_ROLES, type ChatMessage } from '../../tokenizers/index.ts';
import { parseJsonl } from '../shared/jsonl.ts';
import { readText } from '../shared/textFiles.ts';

/**
 * One instruction example: a conversation whose assistant messages are what the model learns to
 * write, the task it belongs to (for per-task evaluation; '' if not given), and where it came from.
 */
export interface InstructionExample {
  messages: ChatMessage[];
  task: string;
  file?: string;
  line?: number;
}

/** What a JSONL line may hold: `{ prompt, response, system?, task? }` or `{ messages: [{ role, content }], task? }`. */
export type InstructionRecord =
  | { prompt: string; response: string; system?: string; task?: string }
  | { messages: ChatMessage[]; task?: string };

const EXPECTED = '{ "prompt": string, "response": string, "system"?: string, "task"?: string } or { "messages": [{ "role": "system"|"user"|"assistant", "content": string }, ...], "task"?: string } with at least one assistant message';

/**
 * One record as an example; anything else is a DATA error naming the file and line (`where`)
 * and the field at fault. A conversation must hold an assistant message: it is what is learned.
 */
export function toInstructionExample(value: unknown, where: { file?: string; line?: number; plugin?: string } = {}): InstructionExample {
  const fail = (what: string, received?: unknown): never => {
    throw new GraftError(ErrorCodes.DATA, what, { plugin: where.plugin, file: where.file ?? '(in code)', line: where.line, expected: EXPECTED, ...(received === undefined ? {} : { received }) });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('an instruction example must be a JSON object', value);
  const v = value as Record<string, unknown>;
  const task = v.task === undefined ? '' : typeof v.task === 'string' ? v.task : fail('field "task" must be a string', v.task);
  let messages: ChatMessage[];
  if (v.messages !== undefined) {
    if (!Array.isArray(v.messages) || v.messages.length === 0) return fail('field "messages" must be a non-empty array', v.messages);
    messages = v.messages.map((m, i) => {
      const r = m as Partial<ChatMessage> | null;
      if (typeof r !== 'object' || r === null || !CHAT_ROLES.includes(r.role as never) || typeof r.content !== 'string') {
        return fail(`messages[${i}] must be { role: ${CHAT_ROLES.join('|')}, content: string }`, m);
      }
      return { role: r.role!, content: r.content };
    });
  } else {
    if (typeof v.prompt !== 'string') return fail('field "prompt" must be a string', v.prompt);
    if (typeof v.response !== 'string') return fail('field "response" must be a string', v.response);
    if (v.system !== undefined && typeof v.system !== 'string') return fail('field "system" must be a string', v.system);
    messages = [...(typeof v.system === 'string' ? [{ role: 'system' as const, content: v.system }] : []), { role: 'user', content: v.prompt }, { role: 'assistant', content: v.response }];
  }
  if (!messages.some((m) => m.role === 'assistant' && m.content !== '')) return fail('no assistant message with content: nothing to learn');
  return { messages, task, ...(where.file !== undefined ? { file: where.file } : {}), ...(where.line !== undefined ? { line: where.line } : {}) };
}

/** The examples of a JSONL file, each with its file and line. */
export function readInstructionFile(file: string, plugin?: string): InstructionExample[] {
  return parseJsonl(readText(file, plugin ?? 'dataset:instructions'), { file, plugin }).map((row) => toInstructionExample(row.value, { file, line: row.line, plugin }));
}

/**
 * A conversation cut before its last assistant message, as a model is asked it at evaluation, and
 * that message (the reference answer).
 */
export function promptAndReference(example: InstructionExample): { prompt: ChatMessage[]; reference: string } {
  const last = example.messages.map((m) => m.role).lastIndexOf('assistant');
  return { prompt: example.messages.slice(0, last), reference: example.messages[last]!.content };
}
