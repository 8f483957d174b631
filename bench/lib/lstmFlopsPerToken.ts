/**
 * Model FLOPs per trained token of a stacked LSTM language model with a tied decoder: 6 per
 * matmul weight (forward 2, backward 4): each layer's input and recurrent kernels (in + h)·4h, and
 * the decoder E·V (the tied embedding, counted once as the head's matmul; the lookup is free).
 * Element-wise gate math is left out, as the GPT estimate leaves out LayerNorm and softmax.
 */
export function lstmFlopsPerToken(s: { vocab: number; embSize: number; hiddenSizes: readonly number[] }): number {
  let weights = s.embSize * s.vocab;
  let inSize = s.embSize;
  for (const h of s.hiddenSizes) {
    weights += (inSize + h) * 4 * h;
    inSize = h;
  }
  return 6 * weights;
}
