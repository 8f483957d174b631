/**
 * Helpers of the fault-injection tests: run `graft` in a child process, wait for something to
 * appear in its run folder, and stop it with a signal at that moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'cli/main.ts');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  proc: ChildProcess;
  exited: Promise<Exit>;
  /** Whether the process has exited. */
  readonly done: boolean;
}

/** `node --import=tsx cli/main.ts <args>` in the repository. */
export function graft(args: readonly string[]): Child {
  const proc = spawn(process.execPath, ['--import=tsx', bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    proc.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    proc,
    exited,
    get done() {
      return done;
    },
  };
}

/**
 * Resolve true as soon as `test()` holds, checked whenever something changes under `dir` (and
 * every few milliseconds); false if the child exits first.
 */
export async function when(child: Child, dir: string, test: () => boolean): Promise<boolean> {
  const watchers: FSWatcher[] = [];
  const watched = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<boolean>((resolve) => {
      const check = () => {
        try {
          if (test()) return resolve(true);
        } catch {
          // a file read half-way: look again
        }
        if (child.done) return resolve(false);
        // Watch every folder under `dir` as it appears (inotify: the event comes within the write).
        for (const d of foldersUnder(dir)) {
          if (watched.has(d)) continue;
          watched.add(d);
          try {
            watchers.push(watch(d, check));
          } catch {
            // removed meanwhile
          }
        }
      };
      timer = setInterval(check, 3);
      check();
    });
  } finally {
    clearInterval(timer);
    for (const w of watchers) w.close();
  }
}

function foldersUnder(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    // gone between its parent's listing and this one (a pruned step folder): nothing to watch
    return [];
  }
  const out = [dir];
  for (const e of entries) {
    // Not into checkpoint folders' temporary copies: they come and go.
    if (e.isDirectory() && !e.name.includes('.tmp-') && !e.name.includes('.old-')) out.push(...foldersUnder(path.join(dir, e.name)));
  }
  return out;
}

export function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** The step `latest.json` points at, or -1. */
export function latestStep(checkpointDir: string): number {
  const f = path.join(checkpointDir, 'latest.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { step: number }).step : -1;
}

/** metrics.jsonl without the wall-clock `time` of each record. */
export function metricsRecords(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const { time: _time, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
}

/** result.json without the wall-clock `seconds`. */
export function resultOf(file: string): Record<string, unknown> {
  const { seconds: _seconds, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return rest;
}

/** A small reproducible random stream (the seed is logged by the tests). */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
