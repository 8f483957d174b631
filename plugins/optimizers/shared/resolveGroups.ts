import { matches, type ParamGroupSpec } from '../../../core/index.ts';

/**
 * Which group owns each parameter: the first group whose pattern matches it, or -1 for the
 * implicit `default` group. Pure: the optimizer calls it again whenever the parameter set changes.
 */
export function resolveGroups(names: Iterable<string>, groups: readonly ParamGroupSpec[]): Map<string, number> {
  const owner = new Map<string, number>();
  for (const n of names) owner.set(n, groups.findIndex((g) => matches(n, g.pattern)));
  return owner;
}
