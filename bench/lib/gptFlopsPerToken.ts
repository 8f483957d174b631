/**
 * Model FLOPs per trained token (the nanoGPT/PaLM estimate the reference uses): 6 per parameter
 * (forward 2, backward 4) excluding the position embedding, which is a lookup, not a matmul (a tied
 * token embedding counts once, as the head's matmul), plus 12·layers·context·width for the
 * attention scores and weighted sums.
 */
export function gptFlopsPerToken(s: { params: number; nLayers: number; contextLength: number; dModel: number }): number {
  return 6 * (s.params - s.contextLength * s.dModel) + 12 * s.nLayers * s.contextLength * s.dModel;
}
