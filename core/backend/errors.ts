/**
 * The backend layer's errors: GraftErrors like the rest of Graft's, so callers and the CLI tell them
 * apart by code. `GRAFT_ERR_BACKEND` is a failure while running (a kernel given input it cannot take,
 * wasm failing to load or initialise, a helper thread trapping); where the caller asked for something
 * invalid (a bad thread count or switch value) the throw site uses a usage-class code instead.
 */
import { ErrorCodes, GraftError, type ErrorDetails } from '../errors/index.ts';

/** A `GRAFT_ERR_BACKEND` error with `message` (kept verbatim: tests and users match on it). */
export function backendError(message: string, details?: ErrorDetails): GraftError {
  return new GraftError(ErrorCodes.BACKEND, message, details);
}

/** tfjs's `util.assert`, coded: throws `backendError(message())` unless `condition` holds. */
export function backendAssert(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw backendError(message());
}

/** A GraftError as it is; anything else (a native or emscripten error) as a backend error caused by it. */
export function asBackendError(err: unknown, message: string): GraftError {
  return err instanceof GraftError ? err : backendError(message, { cause: err });
}
