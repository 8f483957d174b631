/**
 * Every error Graft raises carries one of these codes, so callers (and the CLI's exit code)
 * can tell bad configuration from a failure while running without parsing messages.
 */
export const ErrorCodes = {
  /** A plugin option has a wrong value or type. */
  BAD_OPTION: 'GRAFT_ERR_BAD_OPTION',
  /** A plugin named in `dependsOn` is not in the recipe. */
  MISSING_DEPENDENCY: 'GRAFT_ERR_MISSING_DEPENDENCY',
  /** Two plugins declared as conflicting are both in the recipe. */
  CONFLICT: 'GRAFT_ERR_CONFLICT',
  /** Two plugins of a kind that allows only one (model, objective, optimizer, ...). */
  SINGLETON: 'GRAFT_ERR_SINGLETON',
  /** A role the loop needs (model, objective, optimizer, dataset) has no plugin. */
  MISSING_ROLE: 'GRAFT_ERR_MISSING_ROLE',
  /** A plugin taps a hook that does not exist. */
  UNKNOWN_HOOK: 'GRAFT_ERR_UNKNOWN_HOOK',
  /** A plugin asks for a stage that does not exist. */
  UNKNOWN_STAGE: 'GRAFT_ERR_UNKNOWN_STAGE',
  /** A plugin's metadata is malformed (name, kind). */
  BAD_PLUGIN: 'GRAFT_ERR_BAD_PLUGIN',
  /** A parameter name or pattern matched nothing, or a name is taken twice. */
  PARAMETER: 'GRAFT_ERR_PARAMETER',
  /** A checkpoint is missing, incomplete or does not fit the model. */
  CHECKPOINT: 'GRAFT_ERR_CHECKPOINT',
  /**
   * The base checkpoint an adapter-only checkpoint records (path and SHA-256 of its parameters) is
   * missing, unreadable, or not the one it was trained on (another checkpoint, or changed since).
   */
  BASE_CHECKPOINT: 'GRAFT_ERR_BASE_CHECKPOINT',
  /** A backend could not be loaded. */
  BACKEND: 'GRAFT_ERR_BACKEND',
  /** Data could not be read or has the wrong shape. */
  DATA: 'GRAFT_ERR_DATA',
  /** Configuration (preset, --set key, value) is invalid. */
  CONFIG: 'GRAFT_ERR_CONFIG',
  /** The command line is used wrongly. */
  USAGE: 'GRAFT_ERR_USAGE',
  /** A loss or gradient became NaN or infinite. */
  NON_FINITE: 'GRAFT_ERR_NON_FINITE',
  /** The run was stopped by a signal (SIGINT, SIGTERM) after saving a checkpoint; the same command resumes it. */
  INTERRUPTED: 'GRAFT_ERR_INTERRUPTED',
  /** An internal invariant broke: a bug in Graft. */
  INTERNAL: 'GRAFT_ERR_INTERNAL',
  /** Reading or writing a file failed (disk full, no permission, read-only file system, ...). */
  IO: 'GRAFT_ERR_IO',
  /** The run folder is in use by another Graft process (its lock file names it). */
  LOCKED: 'GRAFT_ERR_LOCKED',
  /** A tensor did not fit in the backend's memory (the wasm heap's 4 GB): the step is too large. */
  OUT_OF_MEMORY: 'GRAFT_ERR_OUT_OF_MEMORY',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Codes that mean "the user asked for something invalid": the CLI exits 2 on these, 1 on the rest. */
export const USAGE_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.BAD_OPTION,
  ErrorCodes.MISSING_DEPENDENCY,
  ErrorCodes.CONFLICT,
  ErrorCodes.SINGLETON,
  ErrorCodes.MISSING_ROLE,
  ErrorCodes.UNKNOWN_HOOK,
  ErrorCodes.UNKNOWN_STAGE,
  ErrorCodes.BAD_PLUGIN,
  ErrorCodes.CONFIG,
  ErrorCodes.USAGE,
  ErrorCodes.LOCKED,
]);
