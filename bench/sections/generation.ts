import { generate } from '../../plugins/index.ts';
import type { GptBenchConfig } from '../config.ts';
import { graftGptTrainer } from '../graftGpt.ts';

export interface GenerationResult {
  model: string;
  promptTokens: number;
  newTokens: number;
  /** Tokens generated a second, greedy, batch 1: with model:gpt's key/value cache and without (every token recomputes the window). */
  cachedTokensPerS: number;
  uncachedTokensPerS: number;
  speedup: number;
  /** Both runs produced the same ids. */
  sameTokens: boolean;
}

/**
 * Greedy generation at the bench GPT's size (batch 1, its reference initial weights): `newTokens`
 * after a `promptTokens` prompt, filling the context, with the cache and without; the faster of
 * two runs each, interleaved.
 */
export async function generationBench(c: GptBenchConfig, promptTokens = 16): Promise<GenerationResult> {
  const trainer = graftGptTrainer(c);
  await trainer.setup();
  const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7 + 3) % c.vocab);
  const newTokens = c.contextLength - promptTokens;
  const time = async (cache: boolean) => {
    const t0 = performance.now();
    const ids = await generate(trainer, prompt, { temperature: 0, maxNewTokens: newTokens, cache });
    return { ms: performance.now() - t0, ids };
  };
  await time(true); // warm-up: kernels compiled, masks made
  await time(false);
  const runs = { cached: [] as number[], uncached: [] as number[] };
  let sameTokens = true;
  for (let i = 0; i < 2; i++) {
    const a = await time(true);
    const b = await time(false);
    runs.cached.push(a.ms);
    runs.uncached.push(b.ms);
    sameTokens &&= a.ids.join() === b.ids.join();
  }
  trainer.dispose();
  const cachedTokensPerS = (newTokens * 1000) / Math.min(...runs.cached);
  const uncachedTokensPerS = (newTokens * 1000) / Math.min(...runs.uncached);
  return {
    model: `GPT ${c.nLayers} layers, ${c.nHeads} heads, width ${c.dModel}, context ${c.contextLength}, vocab ${c.vocab}`,
    promptTokens,
    newTokens,
    cachedTokensPerS,
    uncachedTokensPerS,
    speedup: cachedTokensPerS / uncachedTokensPerS,
    sameTokens,
  };
}
