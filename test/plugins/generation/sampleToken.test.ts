import test from 'ava';
import { Rng } from '../../../core/index.ts';
import { argmax, sampleToken, topKIndices } from '../../../plugins/generation/index.ts';

function randomLogits(rng: Rng, V: number): Float32Array {
  return Float32Array.from({ length: V }, () => rng.normal() * 3);
}

test('greedy (temperature 0 or greedy: true) picks the argmax, first on ties', (t) => {
  const rng = new Rng(1);
  for (let i = 0; i < 20; i++) {
    const l = randomLogits(rng, 50);
    const best = l.indexOf(Math.max(...l));
    t.is(sampleToken(l, { temperature: 0 }, rng), best);
    t.is(sampleToken(l, { greedy: true, temperature: 2 }, rng), best);
  }
  t.is(argmax(Float32Array.from([1, 5, 5, NaN, 2])), 1);
});

test('top-k never returns a token outside the k largest', (t) => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 30; trial++) {
    const l = randomLogits(rng, 40);
    const k = 1 + (trial % 7);
    const topList = Array.from(l.keys()).sort((a, b) => l[b]! - l[a]!).slice(0, k);
    const top = new Set(topList);
    t.deepEqual(Array.from(topKIndices(l, k)).sort((a, b) => a - b), topList.sort((a, b) => a - b));
    for (let i = 0; i < 50; i++) t.true(top.has(sampleToken(l, { topK: k, temperature: 5 }, rng)));
  }
  // ties at the boundary: lowest ids first, exactly k
  t.deepEqual(Array.from(topKIndices(Float32Array.from([1, 3, 3, 3, 0]), 2)), [1, 2]);
});

test('temperature 1 samples from softmax(logits) (frequencies within 3 sigma)', (t) => {
  const logits = Float32Array.from([0, 1, 2, -1]);
  const z = Array.from(logits).reduce((s, x) => s + Math.exp(x), 0);
  const p = Array.from(logits, (x) => Math.exp(x) / z);
  const n = 20000;
  const counts = [0, 0, 0, 0];
  const rng = new Rng(3);
  for (let i = 0; i < n; i++) counts[sampleToken(logits, {}, rng)]!++;
  for (let v = 0; v < 4; v++) {
    const sigma = Math.sqrt((n * p[v]! * (1 - p[v]!)));
    t.true(Math.abs(counts[v]! - n * p[v]!) < 3 * sigma, `token ${v}: ${counts[v]} vs ${n * p[v]!}`);
  }
});

test('temperature → 0 approaches greedy', (t) => {
  const logits = Float32Array.from([1, 1.5, 0.5, 1.2]);
  const share = (temperature: number) => {
    const rng = new Rng(4);
    let hits = 0;
    for (let i = 0; i < 2000; i++) if (sampleToken(logits, { temperature }, rng) === 1) hits++;
    return hits / 2000;
  };
  const [a, b, c] = [share(1), share(0.3), share(0.01)];
  t.true(a < b && b < c, `${a} ${b} ${c}`);
  t.is(c, 1);
});

test('top-p keeps the smallest most-likely set reaching p', (t) => {
  const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  const rng = new Rng(5);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(sampleToken(logits, { topP: 0.7 }, rng));
  t.deepEqual([...seen].sort(), [0, 1]);
  for (let i = 0; i < 100; i++) t.is(sampleToken(logits, { topP: 0.4 }, rng), 0);
});

test('same seed → same samples; -Infinity logits are never drawn', (t) => {
  const l = randomLogits(new Rng(6), 100);
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 20 }, () => sampleToken(l, { topK: 10, temperature: 0.9 }, rng));
  };
  t.deepEqual(draw(7), draw(7));
  t.notDeepEqual(draw(7), draw(8));
  const masked = Float32Array.from([-Infinity, 0, -Infinity, 0]);
  const rng = new Rng(9);
  for (let i = 0; i < 100; i++) t.true([1, 3].includes(sampleToken(masked, {}, rng)));
});
