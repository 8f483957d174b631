import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';

/** Slots of the watch vector. */
const BAD = 0; // 1 once a loss was NaN or ±Infinity
const BAD_STEP = 1; // the step of the first such loss
const BAD_VALUE = 2; // its value
const LAST_LOSS = 3; // the last finite loss before it
const LAST_STEP = 4; // and its step
const SIZE = 5;
const INITIAL = [0, 0, 0, NaN, -1];

export const NON_FINITE_HINT =
  'Usual causes: a learning rate too high, no gradient clipping (add callback:grad-clip), or bad data (empty sequences, ' +
  'labels out of range); resume from the last checkpoint with a lower learning rate';

/** What the watch holds, read back. */
export interface FiniteReport {
  badStep: number;
  badValue: number;
  /** NaN and step -1 if no loss was finite before. */
  lastLoss: number;
  lastStep: number;
}

/**
 * Watches the training loss for NaN and ±Infinity without reading it: every step, `update`
 * folds the loss into a 5-float vector on the device (a handful of tiny ops, no GPU/CPU sync);
 * `check` reads that vector asynchronously, which the trainer does every `checkFiniteEvery`
 * steps, at the end of a run and before every save and evaluation. The vector keeps the first
 * non-finite step and the last finite loss before it, so the error names them however long ago
 * it happened. Four small tensors (the vector and three constants), made at setup (after the
 * backend is chosen), freed by `dispose`.
 */
export class FiniteWatch {
  private v: tf.Variable | undefined;
  /** Constants: which slots a finite loss writes (LAST_*; a non-finite one writes the others), which hold the loss, 0. */
  private consts: { writesIfFinite: tf.Tensor; lossSlots: tf.Tensor; zero: tf.Tensor } | undefined;

  /** Make the tensors (idempotent). */
  init(): void {
    if (this.v) return;
    this.v = tf.tidy(() => tf.variable(tf.tensor1d(INITIAL), false));
    const slots = (f: (i: number) => boolean) => tf.keep(tf.tensor1d(Array.from({ length: SIZE }, (_, i) => f(i)), 'bool'));
    this.consts = {
      writesIfFinite: slots((i) => i >= LAST_LOSS),
      lossSlots: slots((i) => i === BAD_VALUE || i === LAST_LOSS),
      zero: tf.keep(tf.scalar(0)),
    };
  }

  /**
   * Fold this step's loss in, on the device; nothing is read. Seven small kernels and one upload
   * of five floats (the fastest of the forms measured, bench/finiteFlag.ts).
   */
  update(loss: tf.Tensor, step: number): void {
    this.init();
    const v = this.v!;
    const c = this.consts!;
    tf.tidy(() => {
      const l = loss.rank === 0 ? loss : tf.mean(loss);
      // [1, step, loss, loss, step]: what the slots would become.
      const values = tf.where(c.lossSlots, l, tf.tensor1d([1, step, 0, 0, step]));
      const clean = tf.equal(tf.slice(v, [BAD], [1]), c.zero);
      // Before the first bad loss, a finite loss writes LAST_*, a non-finite one BAD_*; after it, nothing changes.
      const write = tf.logicalAnd(clean, tf.equal(tf.isFinite(l), c.writesIfFinite));
      v.assign(tf.where(write, values, v));
    });
  }

  /** Read the watch (asynchronously); undefined if no loss went non-finite (or before setup). */
  async read(): Promise<FiniteReport | undefined> {
    if (!this.v) return undefined;
    const d = await this.v.data();
    if (d[BAD] === 0) return undefined;
    return { badStep: d[BAD_STEP]!, badValue: d[BAD_VALUE]!, lastLoss: d[LAST_LOSS]!, lastStep: d[LAST_STEP]! };
  }

  /** The error to stop with if a loss went non-finite, `doing` saying what was refused; else undefined. */
  async check(doing?: string): Promise<GraftError | undefined> {
    const r = await this.read();
    if (!r) return undefined;
    return new GraftError(ErrorCodes.NON_FINITE, `${describe(r)}${doing ? `; refusing ${doing}` : ''}`, { hint: NON_FINITE_HINT });
  }

  /** A non-finite tensor refused by the checkpoint writer, with the loss history added; other errors as they are. */
  async explain(e: unknown): Promise<unknown> {
    if (!(e instanceof GraftError) || e.code !== ErrorCodes.NON_FINITE) return e;
    const r = this.v ? await this.v.data() : undefined;
    const history = !r ? '' : r[LAST_STEP]! >= 0 ? `; the loss was finite up to step ${r[LAST_STEP]} (last ${num(r[LAST_LOSS]!)})` : '';
    return new GraftError(e.code, `${e.summary}${history}`, { ...e.details, hint: NON_FINITE_HINT, cause: e });
  }

  /** Forget the history (after a full checkpoint load). */
  reset(): void {
    const v = this.v;
    if (v) tf.tidy(() => v.assign(tf.tensor1d(INITIAL)));
  }

  dispose(): void {
    this.v?.dispose();
    if (this.consts) tf.dispose(Object.values(this.consts));
    this.v = this.consts = undefined;
  }
}

function describe(r: FiniteReport): string {
  const last = r.lastStep >= 0 ? `the last finite loss was ${num(r.lastLoss)}, at step ${r.lastStep}` : 'no earlier loss was finite';
  return `the training loss became ${r.badValue} at step ${r.badStep} (${last})`;
}

/** 6 significant digits; exponent notation for very large or small values. */
export function num(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  const a = Math.abs(x);
  return a >= 1e6 || a < 1e-4 ? x.toExponential(5) : String(Number(x.toPrecision(6)));
}
