import { isProcessAlive, thisHost } from './processAlive.ts';

/**
 * The tag in the names of temporary folders (`<dir>.tmp-<tag>`, `<dir>.old-<tag>`): who wrote
 * them and when, `<pid>-<ms since 1970, base 36>-<counter, base 36>@<host>`, so a later save can
 * tell a dead writer's leftovers from a live writer's folder and order leftovers by time.
 * Tags of earlier Graft versions (`<pid>-<time>`) parse too, as written on this machine.
 */
export interface WriterTag {
  pid: number;
  /** Milliseconds since 1970. */
  time: number;
  seq: number;
  /** Undefined for a tag without a host (earlier versions): taken as this machine. */
  host?: string;
}

let counter = 0;

/** Host names as they go into a file name: only letters, digits, `.` and `-`. */
function safeHost(h: string): string {
  return h.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64) || 'unknown';
}

/** A new tag for this process, unique within it. */
export function newWriterTag(now = Date.now()): string {
  return `${process.pid}-${now.toString(36)}-${(counter++).toString(36)}@${safeHost(thisHost())}`;
}

export function formatWriterTag(t: WriterTag): string {
  return `${t.pid}-${t.time.toString(36)}-${t.seq.toString(36)}${t.host === undefined ? '' : `@${safeHost(t.host)}`}`;
}

export function parseWriterTag(tag: string): WriterTag | undefined {
  const m = /^(\d+)-([0-9a-z]+)(?:-([0-9a-z]+))?(?:@([A-Za-z0-9._-]+))?$/.exec(tag);
  if (!m) return undefined;
  const time = parseInt(m[2]!, 36);
  if (!Number.isSafeInteger(time)) return undefined;
  return { pid: Number(m[1]), time, seq: m[3] === undefined ? 0 : parseInt(m[3], 36), ...(m[4] === undefined ? {} : { host: m[4] }) };
}

/**
 * Whether the writer of a tagged folder is gone, so the folder is a leftover that may be
 * deleted: its process is dead on this machine. A live process's folder (this process's
 * included: callers exclude their own saves in progress) is not; another machine's is never
 * (its processes cannot be checked from here). A name that is no writer tag at all was not made
 * by a running Graft (every version puts its pid there) and counts as a leftover.
 */
export function writerIsGone(tag: string, ownInProgress = false): boolean {
  const t = parseWriterTag(tag);
  if (!t) return true;
  if (t.host !== undefined && t.host !== safeHost(thisHost())) return false;
  if (t.pid === process.pid) return !ownInProgress;
  return !isProcessAlive(t.pid);
}
