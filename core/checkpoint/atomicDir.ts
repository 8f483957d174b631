import { promises as fs, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ioError } from '../errors/ioError.ts';
import { newWriterTag, parseWriterTag, writerIsGone } from './writerTag.ts';

/** Writes one file and flushes it to disk. Injectable, so tests can make a write fail (ENOSPC). */
export type FileWriter = (file: string, content: Buffer | string) => Promise<void>;

export interface WriteDirOptions {
  /** Default: open, write, fsync, close. */
  writeFile?: FileWriter;
}

/** Temporary and old folders of this process's saves in progress: never leftovers. */
const inProgress = new Set<string>();

/**
 * Write a folder atomically: everything goes to a temporary sibling `<dir>.tmp-<tag>`, is flushed
 * to disk, and replaces the old folder by renames (the old one moves aside to `<dir>.old-<tag>`
 * and is removed after). A process killed at any moment leaves either the old folder or the new
 * one complete; `resolveCheckpointDir` finds the survivor. The tag names the writer (pid, host)
 * and the time (see `writerTag.ts`).
 *
 * A failed write (disk full, no permission, ...) removes its temporary folder, puts the old folder
 * back if it had moved it aside, and throws `GRAFT_ERR_IO` naming the path and the bytes needed.
 * A finished save removes the leftovers of `dir` whose writers are dead; a live process's folders
 * and other machines' are left alone.
 */
export async function writeDirAtomic(dir: string, files: Record<string, Buffer | string>, opts: WriteDirOptions = {}): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const tag = newWriterTag();
  const tmp = path.join(parent, `${base}.tmp-${tag}`);
  const old = path.join(parent, `${base}.old-${tag}`);
  const bytes = Object.values(files).reduce((n, c) => n + (typeof c === 'string' ? Buffer.byteLength(c) : c.length), 0);
  const write = opts.writeFile ?? writeAndSync;
  let action = 'create the folder';
  let movedAside = false;
  inProgress.add(tmp).add(old);
  try {
    await fs.mkdir(parent, { recursive: true });
    await fs.mkdir(tmp);
    // Insertion order is kept: the manifest goes last, so a folder with a manifest is complete.
    for (const [name, content] of Object.entries(files)) {
      action = `write ${name}`;
      await write(path.join(tmp, name), content);
    }
    action = 'flush the folder';
    await syncDir(tmp);
    action = 'replace the previous folder';
    if (existsSync(target)) {
      await fs.rename(target, old);
      movedAside = true;
    }
    await fs.rename(tmp, target);
    movedAside = false;
  } catch (e) {
    // Put the previous version back (if that fails it stays complete as `old`, which
    // resolveCheckpointDir finds), then free the space of the half-written one.
    if (movedAside && !existsSync(target)) await fs.rename(old, target).catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw ioError(e, { action, file: target, bytes });
  } finally {
    inProgress.delete(tmp);
    inProgress.delete(old);
  }
  await syncDir(parent).catch(() => undefined);
  // The save is complete: what is left is best-effort cleanup, which never fails it.
  await fs.rm(old, { recursive: true, force: true }).catch(() => undefined);
  await removeLeftovers(parent, base);
}

async function writeAndSync(file: string, content: Buffer | string): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(d: string): Promise<void> {
  const fh = await fs.open(d, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the renames are still atomic.
  } finally {
    await fh.close();
  }
}

/** The tag of a leftover's name (`step-3.tmp-<tag>` → `<tag>`), or undefined for any other name. */
function leftoverTag(name: string, base?: string): string | undefined {
  const m = /^(.+?)\.(?:tmp|old)-(.+)$/.exec(name);
  if (!m || (base !== undefined && m[1] !== base)) return undefined;
  return m[2];
}

/**
 * Whether `name` in `parent` is a leftover of an interrupted or finished save that may be
 * deleted: a `<dir>.tmp-*` or `<dir>.old-*` folder whose writer is dead (not one of this
 * process's saves in progress, not a live process's, not another machine's).
 */
export function isLeftover(parent: string, name: string): boolean {
  const tag = leftoverTag(name);
  if (tag === undefined) return false;
  return writerIsGone(tag, inProgress.has(path.join(path.resolve(parent), name)));
}

async function removeLeftovers(parent: string, base: string): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const f of entries) {
    if (leftoverTag(f, base) !== undefined && isLeftover(parent, f)) {
      await fs.rm(path.join(parent, f), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/** When a leftover was made: the time in its tag, else its modification time. */
function leftoverTime(parent: string, name: string, tag: string): [number, number] {
  const t = parseWriterTag(tag);
  if (t) return [t.time, t.seq];
  try {
    return [statSync(path.join(parent, name)).mtimeMs, 0];
  } catch {
    return [0, 0];
  }
}

/**
 * The complete checkpoint folder for `dir`: `dir` itself, or, if a save was killed between its
 * two renames, the newest complete `dir.old-*` beside it (newest by the time in its tag, not by
 * the text of its name).
 */
export function resolveCheckpointDir(dir: string, marker = 'manifest.json'): string | undefined {
  if (existsSync(path.join(dir, marker))) return dir;
  const parent = path.dirname(path.resolve(dir));
  if (!existsSync(parent)) return undefined;
  const base = path.basename(dir);
  const prefix = `${base}.old-`;
  const olds = readdirSync(parent)
    .filter((f) => f.startsWith(prefix) && existsSync(path.join(parent, f, marker)))
    .map((f) => ({ f, at: leftoverTime(parent, f, f.slice(prefix.length)) }))
    .sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1] || (a.f < b.f ? -1 : a.f > b.f ? 1 : 0));
  return olds.length ? path.join(parent, olds[olds.length - 1]!.f) : undefined;
}
