import { ErrorCodes, GraftError } from '../errors/index.ts';

/**
 * Named stages order the taps on one hook. A plugin says *why* it runs where it does
 * (`'transform'`: it changes the value; `'observe'`: it only reads the final value), never a bare
 * number. Stages run in the same order on every hook. Within a stage, taps run in the order plugins
 * were applied, reversed on closing hooks (see `TrainerHooks`).
 *
 * The setup stages are listed in the order the `setup` hook walks them; the step stages are the
 * ones the per-step hooks use. All live in one namespace so any hook can use any name.
 */
export const Stages = {
  /** Before everything else on this hook (tracing, timing). */
  first: -1000,
  /** setup: load raw data (datasets). */
  data: -700,
  /** setup: fit or load the tokenizer on the raw data. */
  tokenizer: -600,
  /** setup: turn raw data into token arrays (needs the tokenizer). */
  encode: -500,
  /** setup: create the model's and head's parameters (needs the vocabulary). */
  build: -400,
  /** setup: overwrite initial weights (pre-trained embeddings, a checkpoint's backbone). */
  init: -300,
  /** setup: change which parameters learn or how (freezing, LoRA, adapters, lr groups). */
  adapt: -200,
  /** setup: build optimizer state over the final set of parameters. */
  optimizer: -150,
  /** step hooks: change the value passed along (regularisers, masking, accumulation). */
  transform: -100,
  /** Default for taps that give no stage. */
  default: 0,
  /** step hooks: act on the value after every change (gradient clipping). */
  normalize: 100,
  /** Read-only: loggers, metrics, progress. Sees final values. */
  observe: 200,
  /** After everything else on this hook. */
  last: 1000,
} as const;

export type StageName = keyof typeof Stages;

export function stageValue(name: string | undefined, plugin: string, hook: string): number {
  if (name === undefined) return 0;
  if (!Object.hasOwn(Stages, name)) {
    throw new GraftError(ErrorCodes.UNKNOWN_STAGE, `unknown stage "${name}" on hook "${hook}"`, {
      plugin,
      expected: `one of ${Object.keys(Stages).join(', ')}`,
    });
  }
  return Stages[name as StageName];
}

export function stageName(value: number): string {
  for (const [k, v] of Object.entries(Stages)) if (v === value) return k;
  return String(value);
}
