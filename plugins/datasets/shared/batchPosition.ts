import { ErrorCodes, GraftError, type BatchOptions } from '../../../core/index.ts';

/** Check the position of `batches()` (integers >= 0) and return `from` (default 0). */
export function checkFrom(opts: BatchOptions, plugin: string): number {
  const from = opts.from ?? 0;
  if (!Number.isInteger(from) || from < 0 || !Number.isInteger(opts.epoch) || opts.epoch < 0) {
    throw new GraftError(ErrorCodes.DATA, 'invalid batch position', { plugin, expected: 'epoch and from: integers >= 0', received: opts });
  }
  return from;
}
