import { promises as fs, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Write a folder atomically: everything goes to a temporary sibling, is flushed to disk, and
 * replaces the old folder by renames. A process killed at any moment leaves either the old
 * folder or the new one complete; `resolveCheckpointDir` finds the survivor.
 */
export async function writeDirAtomic(dir: string, files: Record<string, Buffer | string>): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  await fs.mkdir(parent, { recursive: true });
  const base = path.basename(dir);
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = path.join(parent, `${base}.tmp-${tag}`);
  await fs.mkdir(tmp);
  for (const [name, content] of Object.entries(files)) {
    const fh = await fs.open(path.join(tmp, name), 'w');
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  // The manifest is written last, so a folder with a manifest is complete.
  await syncDir(tmp);
  let old: string | undefined;
  if (existsSync(dir)) {
    old = path.join(parent, `${base}.old-${tag}`);
    await fs.rename(dir, old);
  }
  await fs.rename(tmp, dir);
  await syncDir(parent);
  if (old) await fs.rm(old, { recursive: true, force: true });
  // Leftovers of earlier killed saves.
  for (const f of readdirSync(parent)) {
    if (f.startsWith(`${base}.tmp-`) && f !== path.basename(tmp)) await fs.rm(path.join(parent, f), { recursive: true, force: true });
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

/**
 * The complete checkpoint folder for `dir`: `dir` itself, or, if a save was killed between its
 * two renames, the previous version left beside it as `dir.old-*`.
 */
export function resolveCheckpointDir(dir: string, marker = 'manifest.json'): string | undefined {
  if (existsSync(path.join(dir, marker))) return dir;
  const parent = path.dirname(path.resolve(dir));
  if (!existsSync(parent)) return undefined;
  const base = path.basename(dir);
  const olds = readdirSync(parent)
    .filter((f) => f.startsWith(`${base}.old-`) && existsSync(path.join(parent, f, marker)))
    .sort();
  return olds.length ? path.join(parent, olds[olds.length - 1]!) : undefined;
}
