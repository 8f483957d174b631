import { clip, ErrorCodes, GraftError } from '../../core/index.ts';

/** What an earlier stage hands on: its final checkpoint folder, or the tokenizer saved in it. */
export type HandOverKind = 'checkpoint' | 'tokenizer';
export const HAND_OVER_KINDS: readonly HandOverKind[] = ['checkpoint', 'tokenizer'];

/**
 * A reference to what an earlier stage hands on, as plain data (`{ $ref: 'checkpoint', stage }`,
 * the same in code, in recipe files and in a run's `config.json`). The runner resolves it, when it
 * builds the stage, to that stage's final checkpoint folder: a plugin that loads weights
 * (`init:from-checkpoint`'s `path`) or a tokenizer (`from`) reads it there.
 */
export interface HandOver<K extends HandOverKind = HandOverKind> {
  readonly $ref: K;
  readonly stage: string;
}

/** The final checkpoint of stage `stage` (weights, optimizer and plugin state). */
export function checkpointOf(stage: string): HandOver<'checkpoint'> {
  return { $ref: 'checkpoint', stage };
}

/** The tokenizer stage `stage` fitted or loaded, as saved in its final checkpoint. */
export function tokenizerOf(stage: string): HandOver<'tokenizer'> {
  return { $ref: 'tokenizer', stage };
}

/** A `$ref` object other than an options reference (`optionsOf`, resolved from the recipe, not from a run). */
export function isHandOver(v: unknown): v is HandOver {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const ref = (v as { $ref?: unknown }).$ref;
  return typeof ref === 'string' && ref !== 'options';
}

/** Every hand-over in a value (options), depth first, with its path (`path`, `groups[0].from`). */
export function handOversIn(value: unknown, at = ''): { ref: HandOver; path: string }[] {
  if (isHandOver(value)) return [{ ref: value, path: at }];
  if (Array.isArray(value)) return value.flatMap((v, i) => handOversIn(v, `${at}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => handOversIn(v, at ? `${at}.${k}` : k));
  }
  return [];
}

/**
 * `value` with every hand-over replaced by the folder it points to (`checkpoints`: the final
 * checkpoint folder of each stage, by name). A stage that has not run is an internal error: the
 * recipe is checked for references to later stages when it is made.
 */
export function resolveHandOvers<T>(value: T, checkpoints: Readonly<Record<string, string>>): T {
  if (isHandOver(value)) {
    const dir = Object.hasOwn(checkpoints, value.stage) ? checkpoints[value.stage] : undefined;
    if (dir === undefined) {
      throw new GraftError(ErrorCodes.INTERNAL, `the ${value.$ref} of stage "${clip(value.stage)}" is asked for before that stage ran`);
    }
    return dir as T;
  }
  if (Array.isArray(value)) return value.map((v) => resolveHandOvers(v, checkpoints)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveHandOvers(v, checkpoints)])) as T;
  }
  return value;
}
