import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, MANIFEST, resolveCheckpointDir, type Manifest } from '../../core/index.ts';

/**
 * The tokenizer JSON behind a plugin's `from` option: a JSON file written from `toJSON()`, or a
 * checkpoint folder, whose manifest keeps each plugin's state under `plugins[<name>].state`
 * (for a tokenizer plugin, its tokenizer JSON). Errors name the plugin, the option and the file.
 */
export function readTokenizerJson(from: string, plugin: string): { json: unknown; file: string } {
  const isDir = existsSync(from) ? statSync(from).isDirectory() : resolveCheckpointDir(from) !== undefined;
  if (!isDir) {
    if (!existsSync(from)) {
      throw new GraftError(ErrorCodes.DATA, 'no tokenizer file or checkpoint folder at this path', {
        plugin,
        option: 'from',
        file: from,
        hint: 'Point "from" at a tokenizer JSON file or at a checkpoint folder',
      });
    }
    return { json: parseJsonFile(from, plugin), file: from };
  }
  const dir = resolveCheckpointDir(from);
  if (dir === undefined) {
    throw new GraftError(ErrorCodes.DATA, `folder has no ${MANIFEST}, so it is not a checkpoint`, {
      plugin,
      option: 'from',
      file: from,
      hint: 'Point "from" at a folder written by trainer.save(), or at a tokenizer JSON file',
    });
  }
  const file = path.join(dir, MANIFEST);
  const manifest = parseJsonFile(file, plugin) as Partial<Manifest>;
  const state = manifest.plugins?.[plugin]?.state;
  if (state === undefined) {
    const others = Object.entries(manifest.plugins ?? {})
      .filter(([name, p]) => name.startsWith('tokenizer:') && p.state !== undefined)
      .map(([name]) => name);
    throw new GraftError(ErrorCodes.DATA, 'the checkpoint holds no tokenizer state for this plugin', {
      plugin,
      option: 'from',
      file,
      hint: others.length > 0 ? `It has tokenizer state of ${others.join(', ')}: use that plugin` : 'The run that saved it had no tokenizer plugin',
    });
  }
  return { json: state, file };
}

function parseJsonFile(file: string, plugin: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.DATA, `cannot read JSON: ${(e as Error).message}`, { plugin, option: 'from', file, cause: e });
  }
}
