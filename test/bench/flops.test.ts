import test from 'ava';
import { gptFlopsPerToken } from '../../bench/lib/gptFlopsPerToken.ts';
import { lstmFlopsPerToken } from '../../bench/lib/lstmFlopsPerToken.ts';
import { gptParameterCount } from '../../plugins/models/index.ts';

test('the reference GPT has 822,016 parameters (gpt_torch.py README) and 5,620,224 FLOPs per token', (t) => {
  const params = gptParameterCount({ vocabSize: 96, contextLength: 128, nLayers: 4, dModel: 128, mlpHidden: 512, bias: true });
  t.is(params, 822016);
  // 6 x (822016 - 128*128) + 12 x 4 x 128 x 128
  t.is(gptFlopsPerToken({ params, nLayers: 4, contextLength: 128, dModel: 128 }), 6 * 805632 + 786432);
  t.is(gptFlopsPerToken({ params, nLayers: 4, contextLength: 128, dModel: 128 }), 5620224);
});

test('LSTM FLOPs count each layer’s input and recurrent kernels and the tied decoder', (t) => {
  // one layer, E=2, H=3, V=5: weights (2+3)*12 + 2*5 = 70
  t.is(lstmFlopsPerToken({ vocab: 5, embSize: 2, hiddenSizes: [3] }), 6 * 70);
  // AWD-LSTM defaults: 64 -> 128 -> 128 -> 64, vocab 96
  const w = (64 + 128) * 512 + (128 + 128) * 512 + (128 + 64) * 256 + 64 * 96;
  t.is(lstmFlopsPerToken({ vocab: 96, embSize: 64, hiddenSizes: [128, 128, 64] }), 6 * w);
});
