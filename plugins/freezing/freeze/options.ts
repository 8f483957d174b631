export const FREEZE_OPTIONS = {
  pattern: { type: 'any', doc: 'Parameters to freeze: a glob (`backbone.**`) or a list of globs.' },
  exceptHead: { type: 'boolean', default: false, doc: 'Freeze everything except the head (linear probe); excludes `pattern`.' },
  invert: { type: 'boolean', default: false, doc: 'Train only `pattern` instead: freeze everything, then unfreeze it (BitFit: `**.bias`).' },
} as const;

export interface FreezeOptionsInput {
  pattern?: string | string[];
  exceptHead?: boolean;
  invert?: boolean;
}
