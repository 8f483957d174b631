import { stageName } from './stages.ts';
import { HOOK_NAMES, REVERSED_HOOKS, type HookName, type TrainerHooks } from './TrainerHooks.ts';

export interface HookDescription {
  hook: HookName;
  /** Tap names in the order they will run, with their stage. */
  taps: { name: string; stage: string }[];
  reversed: boolean;
}

/** Each hook with the plugins tapped on it, in run order. */
export function describeHooks(hooks: TrainerHooks): HookDescription[] {
  return HOOK_NAMES.map((hook) => {
    const reversed = REVERSED_HOOKS.has(hook);
    const taps = (hooks[hook] as unknown as { taps: { name: string; stage?: number }[] }).taps.map((t) => ({
      name: t.name,
      stage: stageName(t.stage ?? 0),
    }));
    return { hook, taps, reversed };
  });
}

/** The same as text, one hook a line block; hooks nobody taps are listed with "-". */
export function formatDescription(desc: HookDescription[]): string {
  const lines: string[] = [];
  for (const d of desc) {
    lines.push(`${d.hook}${d.reversed ? ' (reverse order)' : ''}`);
    if (d.taps.length === 0) lines.push('  -');
    for (const t of d.taps) lines.push(`  ${t.stage.padEnd(10)} ${t.name}`);
  }
  return lines.join('\n');
}

/** Record every tap call as "hook:plugin" (for tests; `trainer.trace(record)` in code). Returns a function that stops it. */
export function traceHooks(hooks: TrainerHooks, record: string[]): () => void {
  let on = true;
  for (const hook of HOOK_NAMES) {
    (hooks[hook] as unknown as { intercept(i: object): void }).intercept({
      tap: (tap: { name: string }) => {
        if (on) record.push(`${hook}:${tap.name}`);
      },
    });
  }
  return () => {
    on = false;
  };
}
