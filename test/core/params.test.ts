import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ErrorCodes, GraftError, ParameterStore, globToRegExp, matches } from '../../core/index.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('globs: * is one segment, ** any number', (t) => {
  t.true(matches('backbone.blocks.2.attn.qkv.kernel', 'backbone.blocks.*.attn.**'));
  t.false(matches('backbone.blocks.2.mlp.fc.kernel', 'backbone.blocks.*.attn.**'));
  t.true(matches('head.classifier.0.bias', '**.bias'));
  t.false(matches('head.classifier.0.bias2', '**.bias'));
  t.true(matches('backbone.tokEmbed', 'backbone.**'));
  t.true(matches('backbone.blocks.10.ln1.gamma', ['head.**', /blocks\.10\./]));
  t.false(matches('backbone.blocks.1', 'backbone.blocks.1*.x'));
  t.is(globToRegExp('a.*').source, '^a\\.[^.]*$');
});

test('create, select, freeze, count; an empty selection is an error naming the pattern', (t) => {
  const s = new ParameterStore();
  s.create('backbone.a.kernel', [2, 2], new Float32Array(4), { owner: 'model:x' });
  s.create('backbone.a.bias', [2], new Float32Array(2), { owner: 'model:x' });
  s.create('head.w', [2, 3], new Float32Array(6), { owner: 'head:x' });
  s.create('head.bn.mean', [3], new Float32Array(3), { owner: 'head:x', role: 'buffer' });
  t.deepEqual(s.select('**.bias'), ['backbone.a.bias']);
  t.is(s.count(), 12);
  t.deepEqual(s.trainable().map((e) => e.name), ['backbone.a.kernel', 'backbone.a.bias', 'head.w']);
  const v = s.version;
  s.setTrainable('backbone.**', false);
  t.true(s.version > v);
  t.deepEqual(s.trainable().map((e) => e.name), ['head.w']);
  t.is(s.count({ trainableOnly: true }), 6);
  t.false(s.entry('backbone.a.bias').decay);
  t.true(s.entry('backbone.a.kernel').decay);
  const e = t.throws(() => s.select('encoder.**', 'freezing:test'), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.PARAMETER);
  t.regex(e.message, /freezing:test.*"encoder\.\*\*" matches no parameter/);
  const dup = t.throws(() => s.create('head.w', [1], new Float32Array(1), { owner: 'head:y' }), { instanceOf: GraftError });
  t.regex(dup.message, /"head.w" already exists \(created by head:x\)/);
  s.dispose();
});

test('frozen buffers keep their statistics', async (t) => {
  const s = new ParameterStore();
  s.create('head.bn.mean', [2], new Float32Array([1, 2]), { role: 'buffer' });
  s.setTrainable('head.**', false);
  s.updateBuffer('head.bn.mean', tf.tensor1d([5, 5]));
  t.deepEqual(Array.from(await s.get('head.bn.mean').data()), [1, 2]);
  s.setTrainable('head.**', true);
  s.updateBuffer('head.bn.mean', tf.tensor1d([5, 5]));
  t.deepEqual(Array.from(await s.get('head.bn.mean').data()), [5, 5]);
  s.dispose();
});

test('transforms change what read() returns, not the variable', async (t) => {
  const s = new ParameterStore();
  s.create('backbone.w', [2], new Float32Array([1, 2]));
  s.addTransform('adapter:double', 'backbone.*', (w, info) => (info.training ? tf.mul(w, 2) : w));
  t.deepEqual(Array.from(await s.read('backbone.w', true).data()), [2, 4]);
  t.deepEqual(Array.from(await s.read('backbone.w', false).data()), [1, 2]);
  t.deepEqual(Array.from(await s.get('backbone.w').data()), [1, 2]);
  s.removeTransforms('adapter:double');
  t.deepEqual(Array.from(await s.read('backbone.w', true).data()), [1, 2]);
  s.dispose();
  t.is(s.names().length, 0);
});
