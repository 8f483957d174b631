/** The GPT sizes that determine its parameter count. */
export interface GptShape {
  vocabSize: number;
  contextLength: number;
  nLayers: number;
  dModel: number;
  mlpHidden: number;
  bias: boolean;
  /** Rows of the segment embedding (0 or absent: none). */
  segmentVocabSize?: number;
}

/**
 * Number of learned scalars of `model:gpt` (the formula the tests check the store against):
 * embeddings V·D + C·D; per block two LayerNorms (4D), qkv D·3D, proj D·D, fc D·H, proj H·D
 * (+ 3D + D + H + D biases); final LayerNorm 2D; segment embedding S·D.
 */
export function gptParameterCount(s: GptShape): number {
  const { vocabSize: V, contextLength: C, nLayers: L, dModel: D, mlpHidden: H } = s;
  const weights = 3 * D * D + D * D + D * H + H * D;
  const biases = s.bias ? 3 * D + D + H + D : 0;
  return V * D + C * D + L * (4 * D + weights + biases) + 2 * D + (s.segmentVocabSize ?? 0) * D;
}
