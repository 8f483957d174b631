import { badOption, type ParamPattern } from '../../../core/index.ts';

const isPart = (v: unknown): v is string | RegExp => (typeof v === 'string' && v.length > 0) || v instanceof RegExp;

/**
 * Validate an option holding a parameter pattern: a glob (`backbone.**`), a RegExp, or a non-empty
 * list of them. The schema types it `any` because a pattern is a union; this is the real check.
 */
export function checkPatternOption(plugin: string, option: string, value: unknown): ParamPattern {
  if (isPart(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every(isPart)) return value as (string | RegExp)[];
  throw badOption(plugin, option, 'a parameter pattern: a glob such as "backbone.**", a RegExp, or a non-empty list of them', value);
}
