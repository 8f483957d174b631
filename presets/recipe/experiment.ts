import { clip, ErrorCodes, GraftError, resolveOptions, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';
import type { ExperimentRunner } from '../runner/Preset.ts';
import type { Recipe } from './recipe.ts';

/**
 * An experiment: a grid of runs over a recipe's stages (`transfer-vs-scratch`: the language model
 * once, then a classifier per labelled-set size and seed, with and without transfer). Its own
 * keys (`sizes`, `seeds`) are configuration keys of the recipe like any other; `run` receives the
 * configured recipe, so every option of every plugin stays settable, and runs its stages through
 * the runner (resume, signals, locks) in sub-folders of the run folder.
 */
export interface Experiment<S extends OptionSchema = OptionSchema> {
  /** The name recorded in a run's `config.json` (`experiment.name`), by which it is found again. */
  readonly name: string;
  readonly options: S;
  /** Rules across the experiment's keys and the recipe the schema cannot express; throws a CONFIG GraftError naming the key. */
  validate?(recipe: Recipe, options: ResolvedOptions<S>): void;
  run(recipe: Recipe, options: ResolvedOptions<S>, run: ExperimentRunner, runDir: string): Promise<Record<string, unknown>>;
}

/** An experiment with the values a recipe gives its keys (the rest: the schema's defaults). */
export interface ExperimentUse {
  readonly experiment: Experiment;
  readonly values: Readonly<Record<string, unknown>>;
}

const known = new Map<string, Experiment>();

/** Declare an experiment (known by name from then on: a run's `config.json` names it). */
export function defineExperiment<S extends OptionSchema>(e: Experiment<S>): Experiment<S> {
  const before = known.get(e.name);
  if (before && before !== (e as unknown as Experiment)) {
    throw new GraftError(ErrorCodes.CONFIG, `two experiments are named "${clip(e.name)}"`, { hint: 'An experiment needs a name of its own' });
  }
  known.set(e.name, e as unknown as Experiment);
  return e;
}

/** The experiment named `name`; unknown names are CONFIG errors listing the known ones. */
export function findExperiment(name: string): Experiment {
  const e = known.get(name);
  if (!e) throw new GraftError(ErrorCodes.CONFIG, `unknown experiment "${clip(name)}"`, { expected: `one of ${[...known.keys()].join(', ') || '(none)'}` });
  return e;
}

/** The experiment's options resolved (defaults filled, values checked by its schema). */
export function experimentOptions(u: ExperimentUse): Record<string, unknown> {
  try {
    return resolveOptions(`experiment ${u.experiment.name}`, u.experiment.options, u.values as never) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof GraftError) throw e.withCode(ErrorCodes.CONFIG);
    throw e;
  }
}

/**
 * A number from a cell's stage result (`result.json`), for an experiment's table: `what` names
 * the run in the error (CONFIG: the result lacks it). `required: false` returns undefined instead.
 */
export function resultNumber(result: Readonly<Record<string, unknown>> | undefined, key: string, what: string, required?: true): number;
export function resultNumber(result: Readonly<Record<string, unknown>> | undefined, key: string, what: string, required: false): number | undefined;
export function resultNumber(result: Readonly<Record<string, unknown>> | undefined, key: string, what: string, required = true): number | undefined {
  const v = result?.[key];
  if (typeof v === 'number') return v;
  if (required) throw new GraftError(ErrorCodes.CONFIG, `the ${what} has no ${key} in its result.json`);
  return undefined;
}

/**
 * An experiment's grid axes `sizes` and `seeds`: non-empty lists of distinct integers, sizes from 0
 * (0: the whole training split), seeds from 0 to 2^32 - 1 (the run seed is 32-bit). A CONFIG
 * error names the option otherwise.
 */
export function checkSizesAndSeeds(o: { sizes: readonly number[]; seeds: readonly number[] }): void {
  const max = { sizes: Number.MAX_SAFE_INTEGER, seeds: 0xffffffff };
  for (const key of ['sizes', 'seeds'] as const) {
    const v = o[key];
    if (v.length === 0 || v.some((x) => !Number.isSafeInteger(x) || x < 0 || x > max[key]) || new Set(v).size !== v.length) {
      throw new GraftError(ErrorCodes.CONFIG, 'invalid value', { option: key, expected: `a non-empty list of distinct integers from 0 to ${max[key]}`, received: v });
    }
  }
}
