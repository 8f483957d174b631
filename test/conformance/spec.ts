import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, silentLogger, type GraftPlugin, type Split, type Trainer, type TrainerOptionsInput } from '../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../helpers/toy.ts';

/** What to put a plugin through; only `make` is required. */
export interface ConformanceSpec {
  /** Test title prefix; defaults to the plugin's name. */
  title?: string;
  /** Make a fresh instance of the plugin under test (called once per trainer). */
  make: () => GraftPlugin;
  /**
   * The rest of the recipe (fresh instances each call), replacing the default wholly. The default
   * is the toy recipe (`model:toy`, `objective:toy-xent`, `optimizer:toy-sgd`, `dataset:toy` with
   * 8 batches) minus the toy plugin of the kind the plugin under test fills.
   */
  recipe?: () => GraftPlugin[];
  /**
   * Plugins added to the recipe (the default toy one, or `recipe`), fresh instances each call: a
   * plugin the one under test needs (`extra: () => [new EvaluateCallback()]`) without re-listing
   * the toy recipe. An extra plugin of a toy role's kind (model, objective, optimizer, dataset)
   * replaces the toy plugin of that kind: `extra: () => [new SgdOptimizer()]`.
   */
  extra?: () => GraftPlugin[];
  /** Steps per phase (default 2): runs are N + N steps straight, or N, save, resume, N. */
  steps?: number;
  /** Trainer options (seed, epochs...); `maxSteps` is set by each check. */
  options?: TrainerOptionsInput;
  /** Absolute tolerance when comparing parameters, losses and state numbers (default 0: bit-identical). */
  tolerance?: number;
  /**
   * Fields of the plugin object (dotted paths from the plugin, `cache` or `stats.startMs`) that
   * may differ between a straight run and a resumed one, because they describe this process
   * rather than the training (a wall-clock start time, tokens seen since this process started).
   * The same paths apply to what `getState()` returns (`json.startMs`). Say why at the call site. Everything else the plugin holds must be equal after a resume.
   */
  ignoreFields?: readonly string[];
  /**
   * The recipe of a run WITHOUT the plugin under test, whose checkpoint the plugin's recipe then
   * resumes and loads (fresh instances each call). Default: the recipe minus the plugin under test,
   * with the toy plugin of its kind when it fills a toy role (a checkpoint written with
   * `optimizer:toy-sgd`, resumed with the optimizer under test). `false` skips that check, for
   * plugins no checkpoint could be written without (the model whose parameters it holds): say why.
   */
  without?: (() => GraftPlugin[]) | false;
  /** Split evaluated by the evaluation check (default `validation`). */
  evalSplit?: Split;
}

const TOY_ROLES: Record<string, () => GraftPlugin> = {
  model: () => new ToyModel(),
  objective: () => new ToyObjective(),
  optimizer: () => new ToySgd(),
  dataset: () => new ToyDataset({ batches: 8 }),
};

/** The spec with its defaults filled in, and the ways the checks build trainers from it. */
export interface ResolvedSpec {
  readonly name: string;
  readonly kind: string;
  readonly title: string;
  readonly steps: number;
  readonly tolerance: number;
  readonly ignoreFields: readonly string[];
  readonly evalSplit: Split;
  readonly spec: ConformanceSpec;
  /** A trainer with the plugin under test, limited to `maxSteps`. */
  build(maxSteps: number): Trainer;
  /** A trainer of the recipe without the plugin under test, or undefined if the spec says there is none. */
  buildWithout(maxSteps: number): Trainer | undefined;
}

function withExtra(base: GraftPlugin[], extra: GraftPlugin[]): GraftPlugin[] {
  const replaced = new Set(extra.map((p) => p.meta.kind).filter((k) => k in TOY_ROLES));
  return [...base.filter((p) => !(replaced.has(p.meta.kind) && isToy(p))), ...extra];
}

function isToy(p: GraftPlugin): boolean {
  return p instanceof ToyModel || p instanceof ToyObjective || p instanceof ToySgd || p instanceof ToyDataset;
}

export function resolveSpec(spec: ConformanceSpec): ResolvedSpec {
  const probe = spec.make();
  const { name, kind } = probe.meta;
  probe.dispose?.();
  const rest = (): GraftPlugin[] => {
    const base = spec.recipe?.() ?? Object.entries(TOY_ROLES).filter(([k]) => k !== kind).map(([, make]) => make());
    return withExtra(base, spec.extra?.() ?? []);
  };
  const create = (plugins: GraftPlugin[], maxSteps: number): Trainer =>
    createTrainer({ plugins, options: { epochs: 100, ...spec.options, maxSteps }, logger: silentLogger() });
  const withoutRecipe = (): GraftPlugin[] | undefined => {
    if (spec.without === false) return undefined;
    if (spec.without) return spec.without();
    const plugins = rest();
    // Fill the role the plugin under test leaves empty with the toy plugin of that role.
    if (kind in TOY_ROLES && !plugins.some((p) => p.meta.kind === kind)) plugins.push(TOY_ROLES[kind]!());
    return plugins;
  };
  return {
    name,
    kind,
    title: spec.title ?? name,
    steps: spec.steps ?? 2,
    tolerance: spec.tolerance ?? 0,
    ignoreFields: spec.ignoreFields ?? [],
    evalSplit: spec.evalSplit ?? 'validation',
    spec,
    build: (maxSteps) => create([...rest(), spec.make()], maxSteps),
    buildWithout: (maxSteps) => {
      const plugins = withoutRecipe();
      return plugins && create(plugins, maxSteps);
    },
  };
}

/** The plugin under test inside `trainer`. */
export function pluginOf(trainer: Trainer, r: ResolvedSpec): GraftPlugin {
  const p = trainer.plugin(r.name);
  if (!p) throw new Error(`conformance: the trainer has no plugin "${r.name}"`);
  return p;
}

/** Every parameter and buffer's values, by name. */
export async function paramValues(tr: Trainer): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const n of tr.params.names()) out[n] = (await tr.params.get(n).data()) as Float32Array;
  return out;
}

/** Differences between two parameter snapshots beyond `tol`, one line each. */
export function paramDifferences(a: Record<string, Float32Array>, b: Record<string, Float32Array>, tol: number, what: string): string[] {
  const out: string[] = [];
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const n of names) {
    const x = a[n];
    const y = b[n];
    if (!x || !y) {
      out.push(`parameter ${n} exists ${x ? 'only in the first' : 'only in the second'} run (${what})`);
      continue;
    }
    if (x.length !== y.length) {
      out.push(`parameter ${n} has ${x.length} values vs ${y.length} (${what})`);
      continue;
    }
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i]! - y[i]!);
      if (d > worst || (Number.isNaN(d) && !(Number.isNaN(x[i]!) && Number.isNaN(y[i]!)))) worst = Number.isNaN(d) ? Infinity : d;
    }
    if (worst > tol) out.push(`parameter ${n} differs by ${worst} (${what})`);
  }
  return out;
}

/** Record the loss of every batch trained (read asynchronously after the step, as a logger would). */
export function recordLosses(tr: Trainer): number[] {
  const losses: number[] = [];
  tr.tap('afterStep', 'conformance:losses', async (ctx) => {
    if (ctx.loss) losses.push((await ctx.loss.data())[0]!);
  }, { stage: 'last' });
  return losses;
}

/** Differences between two loss sequences beyond `tol`. */
export function lossDifferences(a: number[], b: number[], tol: number, what: string): string[] {
  if (a.length !== b.length) return [`${a.length} vs ${b.length} batches trained (${what})`];
  const out: string[] = [];
  a.forEach((x, i) => {
    const same = x === b[i] || Math.abs(x - b[i]!) <= tol || (Number.isNaN(x) && Number.isNaN(b[i]!));
    if (!same) out.push(`loss of batch ${i + 1} is ${x} vs ${b[i]} (${what})`);
  });
  return out;
}

/** Dispose every trainer given, ignoring those already disposed or undefined. */
export function disposeAll(...trainers: (Trainer | undefined)[]): void {
  for (const t of trainers) t?.dispose();
}

export const numTensors = (): number => tf.memory().numTensors;

/**
 * Tensors alive that no plugin's `getState()` accounts for (parameters included: their number does
 * not change while training), so state allocated lazily (optimizer moments of a parameter unfrozen
 * mid-run, early stopping's copy of the best parameters) is not taken for a leak. Also names the
 * plugins whose `getState()` allocates tensors: `save()` never frees those.
 */
export function unaccountedTensors(tr: Trainer): { count: number; allocating: string[] } {
  const alive = numTensors();
  const ids = new Set<number>();
  const allocating: string[] = [];
  for (const p of tr.plugins) {
    const before = numTensors();
    const state = p.getState?.();
    const made = numTensors() - before;
    if (made > 0) allocating.push(`${p.meta.name} (${made} a call)`);
    for (const t of Object.values(state?.tensors ?? {})) if (!t.isDisposed) ids.add(t.id);
  }
  return { count: alive - ids.size, allocating };
}
