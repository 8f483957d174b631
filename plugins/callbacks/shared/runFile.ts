import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CoreResources, ErrorCodes, GraftError, ioError, type TrainerApi } from '../../../core/index.ts';

/**
 * Where a plugin's `file` option writes: nowhere for '', an absolute path as it is, else relative
 * to the run folder (resource runDir); a relative file in a run without a folder is an error naming
 * the plugin and the option (checked at beforeRun, before any step).
 */
export function runFilePath(trainer: TrainerApi, file: string, plugin: string): string | undefined {
  if (file === '') return undefined;
  if (path.isAbsolute(file)) return file;
  const runDir = trainer.resources.get(CoreResources.runDir);
  if (runDir === undefined) {
    throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, `has no run folder to write "${file}" to`, {
      plugin,
      option: 'file',
      expected: "an absolute path, or '' for no file, since the run has no run folder (resource runDir)",
    });
  }
  return path.join(runDir, file);
}

/**
 * Write `content` to `file` (folders made) through a temporary file in the same folder and a
 * rename: a reader, or a run killed mid-write, sees the old file or the new one, never half of one.
 * A failure removes the temporary file and is GRAFT_ERR_IO saying what was being written.
 */
export async function writeRunFile(file: string, content: string, action: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, content);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw ioError(e, { action, file, bytes: Buffer.byteLength(content) });
  }
}
