import path from 'node:path';
import { ErrorCodes, GraftError, PARAMS_FILE, type Manifest, type Trainer } from '../core/index.ts';
import type { ParsedArgs } from './args.ts';

/**
 * Load every parameter of a checkpoint into a set-up trainer (`load(dir, { select: '**' })`, as
 * `graft generate` does): weights and buffers only, no optimizer, data-position or plugin state.
 * A parameter of the model the checkpoint lacks is a CHECKPOINT error (a selective load alone
 * would leave it at its initial value). An adapter-only checkpoint loads onto its base (verified by
 * SHA-256; `base` is its folder when it moved from the path the checkpoint records).
 */
export async function loadWeights(trainer: Trainer, dir: string, manifest: Manifest, base?: string): Promise<void> {
  const missing = trainer.params.names().filter((n) => !Object.hasOwn(manifest.params ?? {}, n));
  if (missing.length) {
    throw new GraftError(ErrorCodes.CHECKPOINT, `model parameter "${missing[0]}" is missing from the checkpoint${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`, {
      file: path.join(dir, PARAMS_FILE),
      hint: 'The checkpoint was written by another model than its recipe stage builds',
    });
  }
  await trainer.load(dir, { select: '**', ...(base !== undefined ? { base } : {}) });
}

/** `--base DIR` of eval, predict and merge: the folder of an adapter-only checkpoint's base that moved. */
export function baseFlag(args: ParsedArgs): string | undefined {
  const base = args.flags.base;
  if (base === undefined) return undefined;
  if (typeof base !== 'string' || base === '') throw new GraftError(ErrorCodes.USAGE, '--base needs the folder of the base checkpoint');
  return base;
}
