import type { Metrics } from '../../../core/index.ts';

/** A training line of metrics.jsonl. `time` is Unix time in seconds, comparable across resumed runs. */
export interface TrainRecord {
  type: 'train';
  step: number;
  epoch: number;
  loss: number;
  lr: number | null;
  tokens: number;
  time: number;
}

/** Fields of an evaluation line that a metric may not overwrite. */
const EVAL_FIELDS = new Set(['type', 'step', 'epoch', 'split', 'time']);

export function trainRecord(r: Omit<TrainRecord, 'type'>): TrainRecord {
  return { type: 'train', step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr, tokens: r.tokens, time: r.time };
}

/**
 * An evaluation line: `{"type":"eval","step":..,"epoch":..,"split":..,"time":..,<metrics>}`. A
 * metric whose name clashes with one of those fields is written as `metric.<name>`.
 */
export function evalRecord(step: number, epoch: number, split: string, time: number, metrics: Metrics): Record<string, unknown> {
  const out: Record<string, unknown> = { type: 'eval', step, epoch, split, time };
  for (const [k, v] of Object.entries(metrics)) out[EVAL_FIELDS.has(k) ? `metric.${k}` : k] = v;
  return out;
}

/** One line of JSON; non-finite numbers become null (JSON has no NaN). */
export function toJsonLine(record: object): string {
  return JSON.stringify(record) + '\n';
}
