import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';
import { ErrorCodes, GraftError, readCheckpoint } from '../../core/index.ts';
import { LATEST_FILE, parseStepDir, readLatest } from '../../plugins/checkpoints/index.ts';

/** Where an unfinished stage continues: a complete step checkpoint of its checkpoint folder. */
export interface ResumePoint {
  /** The checkpoint folder (for `trainer.resume`). */
  dir: string;
  step: number;
  /**
   * The checkpoint was taken when training had ended (the periodic plugin's end-of-run save):
   * only the stage's closing work (final checkpoint, `after`, `result.json`) is left.
   */
  finished: boolean;
}

/** The step of a checkpoint-folder entry: `step-12`, `step-12.tmp-…`, `step-12.old-…` → 12. */
function entryStep(entry: string): number | undefined {
  const dot = entry.indexOf('.');
  return parseStepDir(dot < 0 ? entry : entry.slice(0, dot));
}

/**
 * The newest complete step checkpoint in `checkpointDir` (what `latest.json` points to, or a
 * newer one whose pointer was not written yet when the process died), or undefined. A folder
 * that does not read back (no manifest, torn files) is reported and passed over for an older one;
 * an adapter-only checkpoint whose base is missing or changed stops the run (`GRAFT_ERR_BASE_CHECKPOINT`).
 */
export function findResumePoint(checkpointDir: string, logger: Logger): ResumePoint | undefined {
  if (!existsSync(checkpointDir)) return undefined;
  const steps = new Set<number>();
  for (const e of readdirSync(checkpointDir)) {
    const s = entryStep(e);
    if (s !== undefined) steps.add(s);
  }
  try {
    const p = readLatest(checkpointDir);
    if (p) steps.add(p.step);
  } catch (e) {
    logger.warn(`${(e as Error).message}; looking for the newest complete step checkpoint instead`);
  }
  for (const step of [...steps].sort((a, b) => b - a)) {
    const dir = path.join(checkpointDir, `step-${step}`);
    try {
      const { dir: real, manifest } = readCheckpoint(dir);
      const st = manifest.state;
      const finished = st.training === false && typeof st.stopReason === 'string' && st.stopReason !== 'error';
      return { dir: real, step: st.step, finished };
    } catch (e) {
      // An adapter-only checkpoint whose base is gone or changed is complete: starting over would delete it.
      if (e instanceof GraftError && e.code === ErrorCodes.BASE_CHECKPOINT) throw e;
      if (existsSync(dir)) logger.warn(`${dir} is not a complete checkpoint (${(e as Error).message}); trying an older one`);
    }
  }
  return undefined;
}

/** Remove what an abandoned attempt left past step `step`: later step folders and their leftovers. */
export function removeAfter(checkpointDir: string, step: number): string[] {
  if (!existsSync(checkpointDir)) return [];
  const removed: string[] = [];
  for (const e of readdirSync(checkpointDir)) {
    const s = entryStep(e);
    if ((s !== undefined && s > step) || e.startsWith(`${LATEST_FILE}.tmp-`)) {
      rmSync(path.join(checkpointDir, e), { recursive: true, force: true });
      removed.push(e);
    }
  }
  return removed.sort();
}

/**
 * Before a stage starts over at step 0: remove its earlier attempt's step checkpoints, pointer
 * and metrics files. `best` stays (the periodic plugin replaces it only by a better model).
 */
export function cleanForFreshStart(checkpointDir: string, files: readonly string[]): string[] {
  const removed = removeAfter(checkpointDir, -1);
  if (existsSync(path.join(checkpointDir, LATEST_FILE))) {
    rmSync(path.join(checkpointDir, LATEST_FILE), { force: true });
    removed.push(LATEST_FILE);
  }
  for (const f of files) {
    if (existsSync(f)) {
      rmSync(f, { force: true });
      removed.push(f);
    }
  }
  return removed;
}
