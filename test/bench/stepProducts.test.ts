import test from 'ava';
import { REFERENCE_CONFIG, TINY_CONFIG } from '../../bench/config.ts';
import { gptFlopsPerToken } from '../../bench/lib/gptFlopsPerToken.ts';
import { gptStepProducts, productFlops, productOperands } from '../../bench/lib/gptStepProducts.ts';

// The products' flops are the model's flops per token without the ones that are not products:
// gptFlopsPerToken counts 6 per parameter, so leave the biases and layer norms out of its count.
for (const [label, c] of [['reference', REFERENCE_CONFIG], ['tiny', TINY_CONFIG]] as const) {
  test(`${label} GPT: the step's products add up to 6 per weight-matrix parameter plus 12·L·T·d a token`, (t) => {
    const d = c.dModel;
    const matrixParams = c.vocab * d + c.contextLength * d + c.nLayers * (3 * d * d + d * d + 4 * d * d + 4 * d * d);
    const perToken = gptFlopsPerToken({ params: matrixParams, nLayers: c.nLayers, contextLength: c.contextLength, dModel: d });
    const total = gptStepProducts(c).reduce((s, p) => s + productFlops(p), 0);
    t.is(total, perToken * c.batchSize * c.contextLength);
  });
}

test('operand shapes follow the transposes, and the reference step has 59 batched and 16 plain layer products', (t) => {
  const ps = gptStepProducts(REFERENCE_CONFIG);
  const dW = ps.find((p) => p.name === 'qkv dW')!;
  t.deepEqual(productOperands(dW), { a: [2048, 128], b: [2048, 384] });
  const scores = ps.find((p) => p.name === 'scores Q·Kᵀ')!;
  t.deepEqual(productOperands(scores), { a: [64, 128, 32], b: [64, 128, 32] });
  // As the kernel profile counts them: forward dense layers are 16 _FusedMatMul calls, the rest
  // (their gradients, attention and the head) 59 BatchMatMul calls.
  const calls = (f: (name: string) => boolean) => ps.filter((p) => f(p.name)).reduce((s, p) => s + p.count, 0);
  t.is(calls((n) => / forward$/.test(n)), 16);
  t.is(calls((n) => !/ forward$/.test(n)), 59);
});
