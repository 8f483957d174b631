import { parseStepDir } from './stepDirName.ts';

/**
 * Which entries of the checkpoint folder to delete after saving at `currentStep`: the step
 * folders up to `currentStep` but the newest `keep` (0 keeps all), each with the leftovers of
 * its interrupted saves (`step-N.tmp-*`, `step-N.old-*`), plus the `.tmp-*` leftovers of kept
 * steps (our own save has finished, so no temporary folder is in use). Folders past
 * `currentStep` belong to an abandoned run that this one resumed before; they are left alone
 * and get replaced when the run reaches them. Anything not named `step-N...` is never touched.
 */
export function checkpointsToPrune(entries: readonly string[], keep: number, currentStep: number): string[] {
  const steps = new Set<number>();
  for (const e of entries) {
    const s = parseStepDir(e);
    if (s !== undefined && s <= currentStep) steps.add(s);
  }
  const sorted = [...steps].sort((a, b) => a - b);
  const dropped = new Set(keep > 0 ? sorted.slice(0, Math.max(0, sorted.length - keep)) : []);
  const out: string[] = [];
  for (const e of entries) {
    const dot = e.indexOf('.');
    const s = parseStepDir(dot < 0 ? e : e.slice(0, dot));
    if (s === undefined || s > currentStep) continue;
    const suffix = dot < 0 ? '' : e.slice(dot);
    if (dropped.has(s) ? suffix === '' || /^\.(tmp|old)-/.test(suffix) : suffix.startsWith('.tmp-')) out.push(e);
  }
  return out.sort();
}
