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
 * Tap `hook` for `plugin` at a named stage. On reversed (closing) hooks the stage is mirrored and
 * the tap goes before existing taps of its stage, so taps run in reverse application order.
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
  let stage = stageValue(opts.stage, plugin, hook);
  let before = opts.before === undefined ? [] : Array.isArray(opts.before) ? [...opts.before] : [opts.before];
  if (REVERSED_HOOKS.has(hook as HookName)) {
    stage = -stage;
    for (const t of h.taps) if ((t.stage ?? 0) === stage) before.push(t.name);
  }
  const tapOpts = { name: plugin, stage, ...(before.length ? { before } : {}) };
  const isAsync = ASYNC.test(h.constructor.name);
  if (isAsync) {
    h.tapPromise!(tapOpts, async (...a: unknown[]) => fn(...a));
  } else {
    h.tap(tapOpts, fn);
  }
}
