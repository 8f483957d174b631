import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { readScalar } from '../backend/index.ts';

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
 * Watches the training loss for NaN and ±Infinity. Every step `update` folds the loss into a
 * 5-float record (first non-finite step and value, the last finite loss and its step); `check`
 * reads it, which the trainer does every `checkFiniteEvery` steps, at the end of a run and before
 * every save and evaluation, so the error names the first bad step however long ago it happened.
 *
 * Two ways, one record, chosen at `init` by the backend:
 * - on a backend whose tensors live in this process's memory and whose kernels run when called
 *   (wasm, cpu), reading a scalar is a copy of 4 bytes, so `update` reads the loss and folds it in
 *   JavaScript: no kernel at all (the device form's seven small kernels cost about 0.15 ms a step
 *   on wasm, most of the trainer's fixed cost on a small model);
 * - elsewhere (webgl, tfjs-node, tfjs-node-gpu) a read would wait for the device, so the record is
 *   a variable updated on the device by seven small kernels, read asynchronously only at checks.
 */
/** Backends whose reads are synchronous copies from this process's memory. */
const HOST_BACKENDS = new Set(['wasm', 'cpu']);

export class FiniteWatch {
  /** Host form: the record in JavaScript. */
  private host: Float64Array | undefined;
  private v: tf.Variable | undefined;
  /** Constants: which slots a finite loss writes (LAST_*; a non-finite one writes the others), which hold the loss, 0. */
  private consts: { writesIfFinite: tf.Tensor; lossSlots: tf.Tensor; zero: tf.Tensor } | undefined;

  /** `form`: force one form (tests compare them); default by the running backend at `init`. */
  constructor(private readonly forced?: 'host' | 'device') {}

  /** Make the record (idempotent), on the host or the device by the running backend. */
  init(): void {
    if (this.v || this.host) return;
    if (this.forced === 'host' || (this.forced === undefined && HOST_BACKENDS.has(tf.getBackend()))) {
      this.host = Float64Array.from(INITIAL);
      return;
    }
    this.v = tf.tidy(() => tf.variable(tf.tensor1d(INITIAL), false));
    const slots = (f: (i: number) => boolean) => tf.keep(tf.tensor1d(Array.from({ length: SIZE }, (_, i) => f(i)), 'bool'));
    this.consts = {
      writesIfFinite: slots((i) => i >= LAST_LOSS),
      lossSlots: slots((i) => i === BAD_VALUE || i === LAST_LOSS),
      zero: tf.keep(tf.scalar(0)),
    };
  }

  /** Which form `init` chose: 'host' (JavaScript), 'device' (a variable), or undefined before it. */
  get form(): 'host' | 'device' | undefined {
    return this.host ? 'host' : this.v ? 'device' : undefined;
  }

  /**
   * Fold this step's loss in. Host form: one read of the scalar loss (a mean first if it is not
   * one). Device form: seven small kernels and one upload of five floats, nothing read (the
   * fastest of the device forms measured, bench/finiteFlag.ts).
   */
  update(loss: tf.Tensor, step: number): void {
    this.init();
    if (this.host) return this.updateHost(loss, step);
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

  private updateHost(loss: tf.Tensor, step: number): void {
    const r = this.host!;
    if (r[BAD] !== 0) return;
    // The same float32 value the device form folds in (a mean of a non-scalar loss, as tf.mean gives
    // it), read through a heap view on wasm: a copy (dataSync) cost 4-7 µs a step.
    const l = loss.rank === 0 ? readScalar(loss) : tf.tidy(() => readScalar(tf.mean(loss)));
    if (Number.isFinite(l)) {
      r[LAST_LOSS] = l;
      r[LAST_STEP] = step;
    } else {
      r[BAD] = 1;
      r[BAD_STEP] = step;
      r[BAD_VALUE] = l;
    }
  }

  /** The record's five values (asynchronously on the device); undefined before `init`. */
  private async values(): Promise<ArrayLike<number> | undefined> {
    return this.host ?? (this.v ? await this.v.data() : undefined);
  }

  /** Read the watch (asynchronously); undefined if no loss went non-finite (or before setup). */
  async read(): Promise<FiniteReport | undefined> {
    const d = await this.values();
    if (!d || d[BAD] === 0) return undefined;
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
    const r = await this.values();
    const history = !r ? '' : r[LAST_STEP]! >= 0 ? `; the loss was finite up to step ${r[LAST_STEP]} (last ${num(r[LAST_LOSS]!)})` : '';
    return new GraftError(e.code, `${e.summary}${history}`, { ...e.details, hint: NON_FINITE_HINT, cause: e });
  }

  /** Forget the history (after a full checkpoint load). */
  reset(): void {
    this.host?.set(INITIAL);
    const v = this.v;
    if (v) tf.tidy(() => v.assign(tf.tensor1d(INITIAL)));
  }

  dispose(): void {
    this.v?.dispose();
    if (this.consts) tf.dispose(Object.values(this.consts));
    this.v = this.consts = this.host = undefined;
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
