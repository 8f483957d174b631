/**
 * core/nn/checkpoint.ts on a segment of its own (not a model): gradients equal to the ones of the
 * segment run plainly, for variables read directly, through a parameter transform (LoRA-style) and
 * when some are frozen; no tape means no checkpointing; nothing leaks.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { checkpoint, dropout, ParameterStore, Rng, type CheckpointSegment, type ForwardContext } from '../../../core/index.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const OWNER = { plugin: 'test:segment', option: 'checkpoint' };

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * 0.5);
}

/** E [5, 4] (an embedding), W [4, 4] with a low-rank transform W + A·B (A [4, 2], B [2, 4]). */
function store(): ParameterStore {
  const s = new ParameterStore();
  s.create('e', [5, 4], values(20, 1));
  s.create('w', [4, 4], values(16, 2));
  s.create('lora.a', [4, 2], values(8, 3));
  s.create('lora.b', [2, 4], values(8, 4));
  s.addTransform('test:lora', 'w', (w) => tf.add(w, tf.matMul(s.get('lora.a'), s.get('lora.b'))));
  return s;
}

/** tanh(dropout(x) · W'), then a second product: the activations a checkpoint does not keep. */
const segment: CheckpointSegment = (ctx, [x]) => {
  const w = ctx.params.read('w', ctx.training);
  const h = tf.tanh(tf.matMul(dropout(x!, 0.3, ctx.training, ctx.rng), w));
  return tf.matMul(h, w, false, true);
};

function ctxOf(params: ParameterStore, training = true): ForwardContext {
  return { training, params, rng: new Rng(9), intercept: (_n, x) => x };
}

/** Loss and gradients of two stacked segments after an embedding lookup, with or without checkpoints. */
function lossAndGrads(params: ParameterStore, useCheckpoint: boolean): { loss: number; grads: Record<string, number[]> } {
  const ctx = ctxOf(params);
  const vars = params.trainable().map((e) => e.variable);
  const { value, grads } = tf.variableGrads(() => {
    let x: tf.Tensor = tf.gather(params.read('e'), tf.tensor1d([0, 3, 3, 1, 4, 2], 'int32'));
    for (const name of ['s0', 's1']) x = useCheckpoint ? checkpoint(name, ctx, segment, [x], OWNER) : segment(ctx, [x]);
    return tf.mean(tf.square(x)) as tf.Scalar;
  }, vars);
  const out: Record<string, number[]> = {};
  for (const e of params.trainable()) out[e.name] = Array.from(grads[e.variable.name]!.dataSync());
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

test('gradients equal the plain ones, for variables read directly and through a transform', (t) => {
  const s = store();
  const plain = lossAndGrads(s, false);
  const ckpt = lossAndGrads(s, true);
  t.is(ckpt.loss, plain.loss);
  t.deepEqual(Object.keys(ckpt.grads), ['e', 'w', 'lora.a', 'lora.b']);
  t.deepEqual(ckpt.grads, plain.grads);
  // Every gradient is non-zero: the transform's variables are reached through the recomputation.
  for (const [name, g] of Object.entries(ckpt.grads)) t.true(g.some((v) => v !== 0), name);
});

test('frozen variables are not inputs: only the trainable ones get gradients, equal to the plain ones', (t) => {
  const s = store();
  s.setTrainable('w', false);
  s.setTrainable('e', false);
  const plain = lossAndGrads(s, false);
  const ckpt = lossAndGrads(s, true);
  t.deepEqual(Object.keys(ckpt.grads), ['lora.a', 'lora.b']);
  t.deepEqual(ckpt.grads, plain.grads);
});

test('after a variable is unfrozen (the store version changes) the segment finds it again', (t) => {
  const s = store();
  s.setTrainable('w', false);
  lossAndGrads(s, true);
  s.setTrainable('w', true);
  const plain = lossAndGrads(s, false);
  const ckpt = lossAndGrads(s, true);
  t.deepEqual(Object.keys(ckpt.grads), ['e', 'w', 'lora.a', 'lora.b']);
  t.deepEqual(ckpt.grads, plain.grads);
});

test('without a gradient tape (evaluation) it is the segment itself, and the rng advances as the segment draws', (t) => {
  const s = store();
  const x = tf.tensor2d(values(8, 5), [2, 4]);
  for (const training of [false, true]) {
    const [a, b] = [ctxOf(s, training), ctxOf(s, training)];
    const plain = segment(a, [x]);
    const ckpt = checkpoint('s', b, segment, [x], OWNER);
    t.deepEqual(Array.from(ckpt.dataSync()), Array.from(plain.dataSync()));
    t.is(b.rng.getState(), a.rng.getState());
    tf.dispose([plain, ckpt]);
  }
  x.dispose();
});

test('nothing leaks: the tensor count is the same after every step', (t) => {
  const s = store();
  lossAndGrads(s, true);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) lossAndGrads(s, true);
  t.is(tf.memory().numTensors, before);
});
