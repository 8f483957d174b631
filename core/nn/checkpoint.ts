/**
 * Activation (gradient) checkpointing: a segment of the forward pass (a transformer block, say)
 * keeps only its inputs and output for the backward pass, not the activations inside it; the
 * backward pass runs the segment's forward again and back-propagates through that. The memory of
 * a deep model's activations becomes one segment's plus the segment boundaries, for about one more
 * forward pass a step (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost").
 *
 * Exactness: the recomputation runs the same kernels on the same inputs, and the random numbers
 * the segment draws from `ctx.rng` (dropout masks) are replayed from the generator's state at the
 * forward pass, so the recomputed activations are the forward pass's to the bit, and so are the
 * gradients. A segment that draws from a generator of its own cannot be replayed: the recomputed
 * output is compared with the forward pass's at every backward pass and a difference is an error
 * naming the segment, never a silently wrong gradient.
 *
 * tfjs has no checkpointing, and its `customGrad` takes gradients only for the tensors passed in:
 * the segment's trainable variables (found once per parameter set by recording one forward pass
 * on the tape) are passed with its inputs. The recomputation takes gradients inside the outer
 * backward pass, which tfjs (4.x) supports only if the outer tape is put back afterwards; the
 * engine internals used for that are named in `EngineInternals`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import type { ParameterStore } from '../params/ParameterStore.ts';
import type { ForwardContext } from '../plugin/roles.ts';
import { Rng } from '../random/Rng.ts';

/** What this file reads of tfjs-core's Engine (4.x): its gradient tape. */
interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  saved?: tf.Tensor[];
}
interface EngineInternals {
  isTapeOn(): boolean;
  state: { activeTape: TapeNode[] | null };
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] };
}

/** A segment: its output from its inputs, reading parameters and random numbers through `ctx`. */
export type CheckpointSegment = (ctx: ForwardContext, inputs: readonly tf.Tensor[]) => tf.Tensor;

/** Who asked, for the error when a segment cannot be replayed. */
export interface CheckpointOwner {
  plugin: string;
  option: string;
}

interface Discovered {
  version: number;
  training: boolean;
  vars: tf.Variable[];
}

/** Per parameter store, per segment name: the trainable variables the segment reads. */
const discovered = new WeakMap<ParameterStore, Map<string, Discovered>>();

/**
 * `segment(ctx, inputs)` with its activations recomputed in the backward pass instead of kept.
 * Without a gradient tape (evaluation, generation) it is just `segment(ctx, inputs)`. Every
 * tensor the segment reads must be one of `inputs`, a parameter read through `ctx.params`, or a
 * tensor that outlives the step (a cached mask): a tensor made earlier in the same forward pass
 * and captured by the closure is freed before the backward pass needs it.
 */
export function checkpoint(name: string, ctx: ForwardContext, segment: CheckpointSegment, inputs: readonly tf.Tensor[], owner: CheckpointOwner): tf.Tensor {
  const engine = tf.engine() as unknown as EngineInternals;
  if (!ctx.training || !engine.isTapeOn()) return segment(ctx, inputs);
  const vars = segmentVariables(name, ctx, segment, inputs);
  const n = inputs.length;
  const rngState = ctx.rng.getState();
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const value = segment(ctx, inputs);
    save([...inputs, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const ins = saved.slice(0, n);
        const forwardValue = saved[n]!;
        const { value: again, grads } = gradientsInsideBackward(engine, () => segment(replayContext(ctx, rngState), ins), [...ins, ...vars], dy);
        try {
          if (!sameValues(again, forwardValue)) {
            throw new GraftError(ErrorCodes.BAD_OPTION, `activation checkpointing: the recomputed output of ${name} differs from its forward pass`, {
              plugin: owner.plugin,
              option: owner.option,
              hint: `A plugin inside ${name} draws random numbers from a generator of its own rather than the forward context's rng, so the recomputation cannot replay them; turn ${owner.option} off, or make that plugin draw from ctx.rng`,
            });
          }
        } finally {
          again.dispose();
        }
        // Inputs and variables the segment does not reach (a constant mask) get zeros.
        return [...ins, ...vars].map((x, i) => grads[i] ?? tf.zerosLike(x));
      },
    };
  });
  return run(...inputs, ...vars);
}

/** The forward context with a generator at the state it had when the segment first ran. */
function replayContext(ctx: ForwardContext, rngState: number): ForwardContext {
  const rng = new Rng(0);
  rng.setState(rngState);
  const intercepts = ctx.intercepts;
  const replay: ForwardContext = { training: ctx.training, params: ctx.params, rng, intercept: (n, x) => ctx.intercept(n, x) };
  if (intercepts) replay.intercepts = (n) => intercepts.call(ctx, n);
  return replay;
}

/**
 * Gradients of `f` at `xs` against `dy`, called from inside the backward pass of an outer tape:
 * tfjs starts a new tape there and clears it at the end, so the outer one is put back.
 */
function gradientsInsideBackward(engine: EngineInternals, f: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] } {
  const outer = engine.state.activeTape;
  try {
    return engine.gradients(f, xs, dy, true);
  } finally {
    engine.state.activeTape = outer;
  }
}

/** Equal element for element (NaN equal to NaN: a diverged step is the trainer's to report). */
function sameValues(a: tf.Tensor, b: tf.Tensor): boolean {
  return tf.tidy(() => {
    const differ = tf.logicalAnd(tf.notEqual(a, b), tf.logicalNot(tf.logicalAnd(tf.isNaN(a), tf.isNaN(b))));
    return tf.any(differ).dataSync()[0] === 0;
  });
}

/**
 * The trainable variables `segment` reads, in the store's order: found by running it once on the
 * tape (the nodes it records are taken off again), then kept until the parameter set or the mode
 * changes (a layer unfrozen, an adapter added).
 */
function segmentVariables(name: string, ctx: ForwardContext, segment: CheckpointSegment, inputs: readonly tf.Tensor[]): tf.Variable[] {
  const store = ctx.params;
  let byName = discovered.get(store);
  if (!byName) discovered.set(store, (byName = new Map()));
  const known = byName.get(name);
  if (known && known.version === store.version && known.training === ctx.training) return known.vars;
  const engine = tf.engine() as unknown as EngineInternals;
  const tape = engine.state.activeTape!;
  const start = tape.length;
  const read = new Set<tf.Tensor>();
  try {
    tf.tidy(() => {
      segment(replayContext(ctx, ctx.rng.getState()), inputs);
    });
    for (let i = start; i < tape.length; i++) for (const t of Object.values(tape[i]!.inputs)) read.add(t);
  } finally {
    for (const node of tape.splice(start)) for (const s of node.saved ?? []) s.dispose();
  }
  const vars = store.trainable().map((e) => e.variable).filter((v) => read.has(v));
  byName.set(name, { version: store.version, training: ctx.training, vars });
  return vars;
}
