import { EventEmitter } from 'node:events';
import * as tf from '@tensorflow/tfjs-core';
import { ParameterStore, Resources, Trainer, type PluginState } from '../../core/index.ts';

/**
 * What a plugin holds, as plain data: its own fields (private ones included, as TypeScript's
 * `private` is only a compile-time mark) read recursively, tensors by value. This is what the
 * resume check compares, so state kept outside `getState()` shows up even when the plugin's
 * author forgot it existed.
 *
 * Skipped: functions, promises, the trainer and what it owns (parameters are compared on their
 * own, resources are shared), event emitters (loggers, streams), weak collections, and cycles.
 */
export type Observed =
  | { t: 'num'; v: number }
  | { t: 'val'; v: string | boolean | null | undefined | bigint }
  | { t: 'tensor'; shape: number[]; dtype: string; data: number[] }
  | { t: 'disposed' }
  | { t: 'list'; items: Observed[] }
  | { t: 'obj'; kind: string; fields: Record<string, Observed> }
  | { t: 'skip'; why: string };

const MAX_DEPTH = 8;

export async function observe(value: unknown): Promise<Observed> {
  return walk(value, [], 0);
}

async function walk(v: unknown, ancestors: object[], depth: number): Promise<Observed> {
  if (typeof v === 'number') return { t: 'num', v };
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return { t: 'val', v };
  if (typeof v === 'function' || typeof v === 'symbol') return { t: 'skip', why: typeof v };
  const o = v as object;
  if (o instanceof tf.Tensor) {
    if (o.isDisposed) return { t: 'disposed' };
    return { t: 'tensor', shape: o.shape.slice(), dtype: o.dtype, data: Array.from((await o.data()) as ArrayLike<number>, Number) };
  }
  if (ArrayBuffer.isView(o)) return { t: 'list', items: Array.from(o as unknown as ArrayLike<number>, (x) => ({ t: 'num' as const, v: Number(x) })) };
  if (o instanceof Promise) return { t: 'skip', why: 'promise' };
  if (o instanceof Trainer || o instanceof ParameterStore || o instanceof Resources) return { t: 'skip', why: 'trainer' };
  if (o instanceof EventEmitter) return { t: 'skip', why: 'event emitter' };
  if (o instanceof WeakMap || o instanceof WeakSet || o instanceof WeakRef) return { t: 'skip', why: 'weak' };
  if (ancestors.includes(o)) return { t: 'skip', why: 'cycle' };
  if (depth >= MAX_DEPTH) return { t: 'skip', why: 'depth' };
  const inner = [...ancestors, o];
  if (Array.isArray(o) || o instanceof Set) {
    const items: Observed[] = [];
    for (const x of o) items.push(await walk(x, inner, depth + 1));
    return { t: 'list', items };
  }
  if (o instanceof Map) {
    const fields: Record<string, Observed> = {};
    for (const [k, x] of o) fields[String(k)] = await walk(x, inner, depth + 1);
    return { t: 'obj', kind: 'Map', fields };
  }
  if (o instanceof Date) return { t: 'num', v: o.getTime() };
  const fields: Record<string, Observed> = {};
  for (const k of Object.keys(o)) fields[k] = await walk((o as Record<string, unknown>)[k], inner, depth + 1);
  return { t: 'obj', kind: o.constructor?.name ?? 'Object', fields };
}

/** A plugin state (from `getState()`) as plain data. */
export async function observeState(s: PluginState | undefined): Promise<Observed> {
  if (s === undefined) return { t: 'val', v: undefined };
  return walk({ json: s.json, tensors: s.tensors ?? {} }, [], 0);
}

function show(o: Observed): string {
  switch (o.t) {
    case 'num':
    case 'val':
      return typeof o.v === 'string' ? JSON.stringify(o.v.length > 40 ? `${o.v.slice(0, 37)}...` : o.v) : String(o.v);
    case 'tensor':
      return `tensor [${o.shape}] ${o.dtype}`;
    case 'disposed':
      return 'a disposed tensor';
    case 'list':
      return `${o.items.length} items`;
    case 'obj':
      return `${o.kind} {${Object.keys(o.fields).slice(0, 5).join(', ')}${Object.keys(o.fields).length > 5 ? ', ...' : ''}}`;
    case 'skip':
      return `(${o.why})`;
  }
}

const sameNum = (x: number, y: number, tol: number): boolean => x === y || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= tol;

/**
 * Differences between `a` (the straight run) and `b` (the resumed run; `names` to say otherwise), one line each,
 * at most `limit`. Paths in `ignore` (and below them) are not compared.
 */
export function differences(a: Observed, b: Observed, opts: { tol: number; ignore?: readonly string[]; root: string; limit?: number; names?: readonly [string, string] }): string[] {
  const out: string[] = [];
  const [A, B] = opts.names ?? ['straight', 'resumed'];
  const limit = opts.limit ?? 8;
  const ignored = (path: string) => (opts.ignore ?? []).some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
  const at = (path: string) => (path ? `${opts.root}.${path}` : opts.root);
  const rec = (x: Observed, y: Observed, path: string): void => {
    if (out.length >= limit || ignored(path)) return;
    if (x.t !== y.t) {
      out.push(`${at(path)} is ${show(x)} ${A} but ${show(y)} ${B}`);
      return;
    }
    switch (x.t) {
      case 'num':
        if (!sameNum(x.v, (y as typeof x).v, opts.tol)) out.push(`${at(path)} is ${x.v} ${A} but ${(y as typeof x).v} ${B}`);
        return;
      case 'val':
        if (x.v !== (y as typeof x).v) out.push(`${at(path)} is ${show(x)} ${A} but ${show(y)} ${B}`);
        return;
      case 'tensor': {
        const z = y as typeof x;
        if (x.shape.join() !== z.shape.join() || x.dtype !== z.dtype) {
          out.push(`${at(path)} is ${show(x)} ${A} but ${show(z)} ${B}`);
          return;
        }
        let worst = 0;
        x.data.forEach((v, i) => {
          if (!sameNum(v, z.data[i]!, opts.tol)) worst = Math.max(worst, Number.isNaN(v - z.data[i]!) ? Infinity : Math.abs(v - z.data[i]!));
        });
        if (worst > 0) out.push(`${at(path)} (tensor [${x.shape}]) differs by ${worst} between the ${A} and the ${B} run`);
        return;
      }
      case 'list': {
        const z = y as typeof x;
        if (x.items.length !== z.items.length) {
          out.push(`${at(path)} has ${x.items.length} items ${A} but ${z.items.length} ${B}`);
          return;
        }
        x.items.forEach((item, i) => rec(item, z.items[i]!, `${path}[${i}]`));
        return;
      }
      case 'obj': {
        const z = y as typeof x;
        const keys = new Set([...Object.keys(x.fields), ...Object.keys(z.fields)]);
        for (const k of keys) {
          const p = path ? `${path}.${k}` : k;
          if (ignored(p)) continue;
          if (!(k in x.fields) || !(k in z.fields)) {
            if (out.length < limit) out.push(`${at(p)} exists only in the ${k in x.fields ? A : B} run`);
            continue;
          }
          rec(x.fields[k]!, z.fields[k]!, p);
        }
        return;
      }
      case 'disposed':
      case 'skip':
        return;
    }
  };
  rec(a, b, '');
  return out;
}
