/** The GPT sizes and AdamW settings the bench trains. */
export interface GptBenchConfig {
  vocab: number;
  contextLength: number;
  nLayers: number;
  nHeads: number;
  dModel: number;
  batchSize: number;
  /** model:gpt's activationCheckpointing (default off). */
  checkpoint?: boolean;
  adam: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };
}

const REFERENCE_ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

/** gpt_torch.py's model: 4 layers, 4 heads, width 128, context 128, batch 16, vocab 96 (822,016 parameters). */
export const REFERENCE_CONFIG: GptBenchConfig = {
  vocab: 96, contextLength: 128, nLayers: 4, nHeads: 4, dModel: 128, batchSize: 16, adam: REFERENCE_ADAM,
};

/** The hook-overhead model: small enough for many interleaved repetitions, a step of tens of ms on wasm. */
export const TINY_CONFIG: GptBenchConfig = {
  vocab: 96, contextLength: 64, nLayers: 2, nHeads: 2, dModel: 64, batchSize: 8, adam: REFERENCE_ADAM,
};

/**
 * A GPT with almost no compute (a step of a few ms): the trainer-vs-bare difference on it is the
 * fixed per-step cost of the machinery in ms, less exposed to the load on a shared machine.
 */
export const MICRO_CONFIG: GptBenchConfig = {
  vocab: 96, contextLength: 16, nLayers: 1, nHeads: 2, dModel: 16, batchSize: 4, adam: REFERENCE_ADAM,
};
