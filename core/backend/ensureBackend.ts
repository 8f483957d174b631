/**
 * The backend a trainer runs on, chosen the way the CLI chooses it. `createTrainer` in code calls
 * this from `setup`, so a recipe in code runs on the fastest backend that loads (and says which),
 * instead of on whatever tfjs lazily picked (its plain `cpu` backend, ~60x slower than wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseBackendPreference, selectBackend, selectedBackend } from './selectBackend.ts';
import type { BackendLogger, BackendName } from './types.ts';

/** `auto`: fastest that loads; a name: that one or an error; `keep`: whatever tfjs runs now. */
export type BackendPreference = BackendName | 'auto' | 'keep';

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'node-gpu', 'node', 'wasm', 'cpu', 'keep'];

/**
 * Makes sure tfjs runs on the preferred backend; returns its tfjs name.
 *  - `keep`: nothing is changed (tests and callers that set a backend themselves).
 *  - `auto` (without env GRAFT_BACKEND): a backend graft selected earlier in this process is kept;
 *    one the caller set with `tf.setBackend` is kept too, and logged, never silently; otherwise the
 *    fastest that loads is selected, its graft kernels installed, and the choice logged.
 *  - a name (or GRAFT_BACKEND): that backend, selected unless graft already runs on it; one that
 *    cannot load is an error.
 */
export async function ensureBackend(prefer: BackendPreference, logger?: BackendLogger): Promise<string> {
  if (prefer === 'keep') return tf.getBackend();
  const env = process.env.GRAFT_BACKEND;
  const want = prefer !== 'auto' ? prefer : env != null && env.trim() !== '' ? parseBackendPreference(env, 'GRAFT_BACKEND') : 'auto';
  const current = selectedBackend();
  if (current != null && (want === 'auto' || want === current.name)) return current.tfjsBackend;
  const active = tf.engine().backendName as string | null;
  if (want === 'auto' && active != null) {
    logger?.info(`graft: running on the backend already set in this process, '${active}' (backend: 'auto' selects one only when none is set)`, { backend: active });
    return active;
  }
  return (await selectBackend({ prefer: want, logger })).tfjsBackend;
}
