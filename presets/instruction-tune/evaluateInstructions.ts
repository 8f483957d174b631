import { promptAndReference, type InstructionExample } from '../../plugins/datasets/index.ts';
import { generateChat, type Generator } from '../../plugins/generation/index.ts';

/**
 * How answers are compared: whitespace trimmed and runs of it collapsed to one space, lower-cased.
 * Nothing else (punctuation counts), so "Ham " matches "ham" but "ham." does not.
 */
export function normalizeAnswer(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

export interface Prediction {
  task: string;
  prediction: string;
  reference: string;
}

export interface TaskScore {
  task: string;
  examples: number;
  correct: number;
  /** correct / examples. */
  exactMatch: number;
}

/** Exact match (after `normalizeAnswer`) per task, tasks sorted; pure. */
export function exactMatchByTask(predictions: readonly Prediction[]): TaskScore[] {
  const by = new Map<string, { examples: number; correct: number }>();
  for (const p of predictions) {
    const s = by.get(p.task) ?? { examples: 0, correct: 0 };
    s.examples++;
    if (normalizeAnswer(p.prediction) === normalizeAnswer(p.reference)) s.correct++;
    by.set(p.task, s);
  }
  return [...by.keys()].sort().map((task) => {
    const s = by.get(task)!;
    return { task, ...s, exactMatch: s.correct / s.examples };
  });
}

/**
 * Greedy answers of a model to each example's prompt (the conversation before its last assistant
 * message, in the tokenizer's chat template), up to the end-of-turn or `maxNewTokens`. One
 * example at a time; every forward pass frees its tensors (`generate`).
 */
export async function generateAnswers(trainer: Generator, examples: readonly InstructionExample[], opts: { maxNewTokens?: number } = {}): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (const e of examples) {
    const { prompt, reference } = promptAndReference(e);
    const reply = await generateChat(trainer, prompt, { temperature: 0, maxNewTokens: opts.maxNewTokens ?? 24, seed: 0 });
    out.push({ task: e.task, prediction: reply.text, reference });
  }
  return out;
}
