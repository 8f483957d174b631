import { hostname } from 'node:os';

/** This machine's name, as temp-folder tags and lock files record it. */
export function thisHost(): string {
  return hostname();
}

/**
 * Whether a process with this pid exists on this machine (`kill(pid, 0)`; EPERM means it exists
 * but belongs to another user). A reused pid reads as alive: callers then keep what they would
 * have deleted, the safe side.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
