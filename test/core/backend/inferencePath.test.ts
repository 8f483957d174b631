/**
 * With no gradient being recorded (evaluation, generation) dense, layerNorm and gelu call their
 * kernels directly (core/backend/gradientsRecorded.ts): the same values to the bit as when they
 * run under a gradient tape, no tensor left behind, and the taped path still differentiates.
 * Serial: the active backend and kernel registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { dense, gelu, layerNorm, type ParameterStore } from '../../../core/index.ts';
import { gradientsRecorded, registerGraftKernels } from '../../../core/backend/index.ts';
import { initBackends, liveCounts, prng, randomValues, storeOf } from './helpers.ts';


const rand = prng(4);
const t2 = (r: number, c: number) => tf.tensor2d(randomValues(rand, r * c, 2), [r, c]);

let x2: tf.Tensor;
let x3: tf.Tensor;
let params: ParameterStore;
test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
  await tf.setBackend('wasm');
  x2 = t2(5, 12);
  x3 = tf.tensor3d(randomValues(rand, 2 * 3 * 12, 2), [2, 3, 12]);
  params = storeOf({ 'd.kernel': t2(12, 7), 'd.bias': tf.tensor1d(randomValues(rand, 7)), 'n.kernel': t2(12, 7), 'ln.gamma': tf.tensor1d(randomValues(rand, 12)), 'ln.beta': tf.tensor1d(randomValues(rand, 12)) });
});

const layers: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  'dense with bias': (x) => dense(params, 'd', x, false),
  'dense without bias': (x) => dense(params, 'n', x, false),
  layerNorm: (x) => layerNorm(params, 'ln', x, false),
  gelu: (x) => gelu(x),
};

for (const [name, f] of Object.entries(layers)) {
  test.serial(`${name}: the direct path equals the taped one to the bit, 2-D and 3-D, and leaves nothing behind`, (t) => {
    for (const x of [x2, x3]) {
      t.false(gradientsRecorded());
      const direct = f(x);
      let taped: number[] = [];
      let inside = false;
      const g = tf.grad((xx: tf.Tensor) => {
        inside = gradientsRecorded();
        const y = f(xx);
        taped = Array.from(y.dataSync());
        return tf.sum(y);
      })(x);
      t.true(inside, 'recording inside tf.grad');
      t.deepEqual(Array.from(direct.dataSync()), taped, `${name} ${x.shape}`);
      t.deepEqual(direct.shape, [...x.shape.slice(0, -1), name.startsWith('dense') ? 7 : 12]);
      t.true(Array.from(g.dataSync()).some((v) => v !== 0), 'a gradient flows');
      direct.dispose();
      g.dispose();
      f(x).dispose();
      const before = liveCounts();
      for (let i = 0; i < 3; i++) f(x).dispose();
      t.deepEqual(liveCounts(), before, `${name} ${x.shape}`);
    }
  });
}
