import { GraftError, ErrorCodes, type ParamGroupSpec } from '../../../core/index.ts';

/** The implicit group of parameters that match no group; reserved so rates stay unambiguous. */
export const DEFAULT_GROUP = 'default';

function isPatternPart(p: unknown): boolean {
  return (typeof p === 'string' && p.length > 0) || p instanceof RegExp;
}

/**
 * Check a list of parameter groups (from options or from a plugin like lr-groups) and return a
 * copy. Errors name the plugin, the `groups` option and the offending group.
 */
export function validateGroups(plugin: string, groups: unknown): ParamGroupSpec[] {
  const fail = (expected: string, received: unknown): never => {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid parameter group', { plugin, option: 'groups', expected, received });
  };
  if (!Array.isArray(groups)) fail('an array of { name, pattern, lrScale?, weightDecay? }', groups);
  const seen = new Set<string>();
  return (groups as unknown[]).map((g, i) => {
    if (g === null || typeof g !== 'object') fail(`group ${i} to be an object { name, pattern, lrScale?, weightDecay? }`, g);
    const { name, pattern, lrScale, weightDecay, ...rest } = g as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) fail(`group ${i} to have only name, pattern, lrScale, weightDecay`, extra);
    if (typeof name !== 'string' || name.length === 0) fail(`group ${i} to have a non-empty string name`, name);
    if (name === DEFAULT_GROUP) fail(`group ${i} not to be named "${DEFAULT_GROUP}" (reserved for parameters in no group)`, name);
    if (seen.has(name as string)) fail(`unique group names; "${name}" appears twice`, name);
    seen.add(name as string);
    const okPattern = Array.isArray(pattern) ? pattern.length > 0 && pattern.every(isPatternPart) : isPatternPart(pattern);
    if (!okPattern) fail(`group "${name}" to have a pattern (glob string, RegExp, or a non-empty list of them)`, pattern);
    if (lrScale !== undefined && (typeof lrScale !== 'number' || !Number.isFinite(lrScale) || lrScale < 0)) {
      fail(`group "${name}" lrScale to be a finite number >= 0`, lrScale);
    }
    if (weightDecay !== undefined && (typeof weightDecay !== 'number' || !Number.isFinite(weightDecay) || weightDecay < 0)) {
      fail(`group "${name}" weightDecay to be a finite number >= 0`, weightDecay);
    }
    const spec: ParamGroupSpec = { name: name as string, pattern: pattern as ParamGroupSpec['pattern'] };
    if (lrScale !== undefined) spec.lrScale = lrScale as number;
    if (weightDecay !== undefined) spec.weightDecay = weightDecay as number;
    return spec;
  });
}
