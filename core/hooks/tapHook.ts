import { ErrorCodes, GraftError } from '../errors/index.ts';
import { stageValue } from './stages.ts';
import { HOOK_NAMES, REVERSED_HOOKS, type HookName, type TrainerHooks } from './TrainerHooks.ts';

interface RawTap {
  name: string;
  stage?: number;
}

interface AnyHook {
  taps: RawTap[];
  tap(opts: object, fn: (...a: unknown[]) => unknown): void;
  tapPromise?(opts: object, fn: (...a: unknown[]) => Promise<unknown>): void;
}

const ASYNC = /^Async/;

/** Where `tapHook` keeps a plugin's own function on the wrapper it gives tapable. */
const RAW = Symbol('graft.rawTap');
type RawCarrier = { [RAW]?: (...a: unknown[]) => unknown };

interface SeriesHook<A extends unknown[]> {
  taps: readonly { type: string; fn: Function }[]; // eslint-disable-line @typescript-eslint/no-unsafe-function-type -- tapable's own type
  interceptors: readonly unknown[];
  promise(...a: A): Promise<unknown>;
}

/**
 * Call an async series hook (`afterStep`, `afterEpoch`, ...) like `hook.promise(...args)`, without
 * the promise machinery when no tap needs it: taps made through `tapHook` run synchronously in
 * their order, and the call waits only for a tap that returns a promise (then the rest run after
 * it, in order). Returns undefined when nothing was awaited, so the trainer's step stays
 * synchronous. A hook with a tap made another way (`tapAsync`, tapable's `tapPromise`) or an
 * interceptor goes through tapable as before. Errors propagate as from `hook.promise`.
 */
export function runSeries<A extends unknown[]>(hook: SeriesHook<A>, ...args: A): Promise<void> | undefined {
  const taps = hook.taps;
  if (taps.length === 0) return undefined;
  if (hook.interceptors.length > 0 || taps.some((t) => (t.fn as RawCarrier)[RAW] === undefined)) return hook.promise(...args).then(() => undefined);
  return runFrom(taps, 0, args);
}

function runFrom(taps: SeriesHook<unknown[]>['taps'], from: number, args: unknown[]): Promise<void> | undefined {
  for (let i = from; i < taps.length; i++) {
    const r = (taps[i]!.fn as RawCarrier)[RAW]!(...args);
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      return Promise.resolve(r).then(() => runFrom(taps, i + 1, args));
    }
  }
  return undefined;
}

/**
 * Tap `hook` for `plugin` at a named stage. Stages keep their order on every hook (`observe`
 * always sees final values). On reversed (closing) hooks the tap goes before the existing taps of
 * its stage, so within a stage taps run in reverse application order.
 */
export function tapHook(
  hooks: TrainerHooks,
  hook: string,
  plugin: string,
  fn: (...a: unknown[]) => unknown,
  opts: { stage?: string; before?: string | string[] } = {},
): void {
  if (!HOOK_NAMES.includes(hook as HookName)) {
    throw new GraftError(ErrorCodes.UNKNOWN_HOOK, `unknown hook "${hook}"`, {
      plugin,
      expected: `one of ${HOOK_NAMES.join(', ')}`,
    });
  }
  const h = hooks[hook as HookName] as unknown as AnyHook;
  const stage = stageValue(opts.stage, plugin, hook);
  const before = opts.before === undefined ? [] : Array.isArray(opts.before) ? [...opts.before] : [opts.before];
  for (const name of before) {
    // tapable would silently put a tap naming an absent plugin first, ignoring its stage.
    if (!h.taps.some((t) => t.name === name)) {
      throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, `taps "${hook}" before "${name}", which has not tapped it`, {
        plugin,
        hint: `Apply "${plugin}" after "${name}" in the recipe, or declare dependsOn: ["${name}"]`,
      });
    }
  }
  if (REVERSED_HOOKS.has(hook as HookName)) {
    for (const t of h.taps) if ((t.stage ?? 0) === stage && !before.includes(t.name)) before.push(t.name);
  }
  const tapOpts = { name: plugin, stage, ...(before.length ? { before } : {}) };
  const isAsync = ASYNC.test(h.constructor.name);
  if (isAsync) {
    // tapable's promise path needs a function that returns a promise; `runSeries` calls the
    // plugin's own function instead, and waits only when it returns one.
    const wrapped = async (...a: unknown[]) => fn(...a);
    (wrapped as RawCarrier)[RAW] = fn;
    h.tapPromise!(tapOpts, wrapped);
  } else {
    h.tap(tapOpts, fn);
  }
}
