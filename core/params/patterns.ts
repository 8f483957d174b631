import { ErrorCodes, GraftError } from '../errors/index.ts';

/**
 * Parameter names are dot-separated paths: `backbone.blocks.2.attn.qkv.kernel`.
 * A pattern selects names:
 *  - a glob where `*` matches one path segment and `**` any number of segments
 *    (`backbone.blocks.*.attn.**`, `**.bias`, `head.**`),
 *  - a RegExp, tested against the whole name,
 *  - or a list of either (union).
 */
export type ParamPattern = string | RegExp | readonly (string | RegExp)[];

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  const parts = glob.split('.');
  let src = '';
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if (p === '**') {
      // zero or more segments, with the dots they need
      src += last ? '.*' : '(?:[^.]+\\.)*';
    } else {
      src += p.split('*').map(escape).join('[^.]*') + (last ? '' : '\\.');
    }
  });
  re = new RegExp(`^${src}$`);
  cache.set(glob, re);
  return re;
}

function escape(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

export function matches(name: string, pattern: ParamPattern): boolean {
  if (typeof pattern === 'string') return globToRegExp(pattern).test(name);
  if (pattern instanceof RegExp) return pattern.test(name);
  return (pattern as readonly (string | RegExp)[]).some((p) => matches(name, p));
}

/** Names matching `pattern`, in the order given; an empty match is an error (a typo must not freeze nothing). */
export function selectNames(names: Iterable<string>, pattern: ParamPattern, who = 'selector'): string[] {
  const out: string[] = [];
  for (const n of names) if (matches(n, pattern)) out.push(n);
  if (out.length === 0) {
    throw new GraftError(ErrorCodes.PARAMETER, `pattern ${describePattern(pattern)} matches no parameter`, {
      plugin: who,
      hint: 'List parameter names with `graft describe` or trainer.params.names()',
    });
  }
  return out;
}

export function describePattern(p: ParamPattern): string {
  if (typeof p === 'string') return JSON.stringify(p);
  if (p instanceof RegExp) return String(p);
  return `[${(p as readonly (string | RegExp)[]).map((x) => describePattern(x)).join(', ')}]`;
}
