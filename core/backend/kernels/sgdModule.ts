/**
 * One SGD step over flat float32 arrays in WebAssembly SIMD, generated at startup and instantiated
 * on the wasm backend's memory (as adamwModule.ts), for `sgdInPlace` (../sgdInPlace.ts).
 *
 *   <variant>(n, p, g, b, pOut, bOut, wd, mu, lr)
 *
 * computes, per element and in exactly this float32 operation order (the order of the tfjs ops
 * in plugins/optimizers/sgd/sgdUpdate.ts, so results are bit-identical to them):
 *
 *   g = g + p*wd                               (the *Decay variants only, as the ops for wd != 0)
 *   plain:     pOut = p - g*lr                  (no buffer: b and bOut unread)
 *   momentum:  b1 = b*mu + g;  pOut = p - b1*lr;           bOut = b1
 *   nesterov:  b1 = b*mu + g;  pOut = p - (g + b1*mu)*lr;  bOut = b1
 *
 * Four elements at a time with f32x4 (IEEE-exact like the scalar ops), the tail one at a time.
 * Each element is read before it is written, so pOut = p and bOut = b (in place) are allowed.
 */
import { elementLoops, encodeModule, f32Lanes, F32, I32, op, V128, type Bytes, type ValType, localsAfter } from './wasmEncoder.ts';
import { perMemory } from './moduleOnMemory.ts';

export type SgdMomentum = 'plain' | 'momentum' | 'nesterov';
export type SgdVariant = `${SgdMomentum}${'' | 'Decay'}`;

const P = { n: 0, p: 1, g: 2, b: 3, po: 4, bo: 5, wd: 6, mu: 7, lr: 8 };
const PARAMS: ValType[] = [I32, I32, I32, I32, I32, I32, F32, F32, F32];
const SCALARS = ['wd', 'mu', 'lr'] as const;
const MOMENTA: readonly SgdMomentum[] = ['plain', 'momentum', 'nesterov'];

function buildSgd(decay: boolean, momentum: SgdMomentum): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const { locals, local } = localsAfter(PARAMS);
  const off = local(I32);
  const end = local(I32);
  const splat = Object.fromEntries(SCALARS.map(k => [k, local(V128)])) as Record<(typeof SCALARS)[number], number>;
  const [pv, gv, bv] = [local(V128), local(V128), local(V128)];
  const [ps, gs, bs] = [local(F32), local(F32), local(F32)];
  const g = op.get;
  /** The element at `base + off` (byte offset). */
  const at = (base: number): Bytes => [...g(base), ...g(off), ...op.i32Add];

  function step(vec: boolean): Bytes {
    const { load, store, mul, add, sub } = f32Lanes(vec);
    const k = (name: (typeof SCALARS)[number]) => g(vec ? splat[name] : P[name]);
    const [p_, g_, b_] = vec ? [pv, gv, bv] : [ps, gs, bs];
    // The direction d, left on the stack (plain: g; momentum: b1; nesterov: g + b1*mu).
    const direction: Bytes = momentum === 'plain' ? g(g_)
      : momentum === 'momentum' ? g(b_)
        : [...g(g_), ...g(b_), ...k('mu'), ...mul, ...add];
    return [
      ...at(P.p), ...load, ...op.set(p_),
      ...at(P.g), ...load,
      ...(decay ? [...g(p_), ...k('wd'), ...mul, ...add] : []), ...op.set(g_),
      ...(momentum === 'plain' ? [] : [...at(P.bo), ...at(P.b), ...load, ...k('mu'), ...mul, ...g(g_), ...add, ...op.tee(b_), ...store]),
      ...at(P.po), ...g(p_), ...direction, ...k('lr'), ...mul, ...sub, ...store,
    ];
  }

  const body: Bytes = [
    ...SCALARS.flatMap(name => [...g(P[name]), ...op.f32x4Splat, ...op.set(splat[name])]),
    ...g(P.n), ...op.i32(2), ...op.i32Shl, ...op.set(end),
    ...elementLoops(off, end, [{ elements: 4, body: step(true) }, { elements: 1, body: step(false) }]),
  ];
  return { params: PARAMS, locals, body };
}

export type SgdFn = (n: number, p: number, g: number, b: number, pOut: number, bOut: number, wd: number, mu: number, lr: number) => void;

/** Which function runs a step: decay only for wd != 0, as the ops add `p*wd` only then. */
export function sgdVariant(momentum: SgdMomentum, weightDecay: number): SgdVariant {
  return weightDecay !== 0 ? `${momentum}Decay` : momentum;
}

const VARIANTS: readonly { name: SgdVariant; decay: boolean; momentum: SgdMomentum }[] =
  MOMENTA.flatMap(momentum => [false, true].map(decay => ({ name: sgdVariant(momentum, decay ? 1 : 0), decay, momentum })));

export function sgdModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule(VARIANTS.map(({ name, decay, momentum }) => ({ name, ...buildSgd(decay, momentum) })), sharedMemory);
}

/** The module instantiated on `memory` (a WebAssembly.Memory), once per memory. */
export const sgdOn: (memory: { buffer: ArrayBufferLike }) => Record<SgdVariant, SgdFn> = perMemory(
  sgdModuleBytes,
  (exports) => Object.fromEntries(VARIANTS.map(({ name }) => [name, exports[name] as SgdFn])) as Record<SgdVariant, SgdFn>,
);
