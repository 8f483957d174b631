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
    h.tapPromise!(tapOpts, async (...a: unknown[]) => fn(...a));
  } else {
    h.tap(tapOpts, fn);
  }
}
