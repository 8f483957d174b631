import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../../plugins/index.ts';
import { PYTHON, torchScriptPath } from './torchReference.ts';
import { REFERENCE_CONFIG, type GptBenchConfig } from '../config.ts';
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
  /** PyTorch greedy with its own key/value cache (bench/gen_torch.py: the reference's model and weights, same prompt). */
  torch: { tokensPerS: number; ratio: number; sameTokens: boolean } | { skipped: string };
}

const GEN_TORCH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'gen_torch.py');

/** PyTorch's greedy generation with a cache at the reference size (the reference script's sizes). */
function torchGeneration(promptTokens: number): { tokensPerS: number; ids: number[] } | string {
  const script = torchScriptPath();
  if (!existsSync(script)) return `reference script not found at ${script}`;
  const r = spawnSync(PYTHON, [GEN_TORCH, '--script', script, '--prompt', String(promptTokens)], { encoding: 'utf8', timeout: 300_000 });
  if (r.error || r.status !== 0) return `gen_torch.py did not run (${r.error?.message ?? `exit ${r.status}`}; torch missing, as in CI?)`;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const o = JSON.parse(line) as { tokens_per_s: number; ids: number[] };
  return { tokensPerS: o.tokens_per_s, ids: o.ids };
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
  let ids: number[] = [];
  for (let i = 0; i < 2; i++) {
    const a = await time(true);
    const b = await time(false);
    runs.cached.push(a.ms);
    runs.uncached.push(b.ms);
    sameTokens &&= a.ids.join() === b.ids.join();
    ids = a.ids;
  }
  trainer.dispose();
  const cachedTokensPerS = (newTokens * 1000) / Math.min(...runs.cached);
  const uncachedTokensPerS = (newTokens * 1000) / Math.min(...runs.uncached);
  // The reference's own sizes only: gen_torch.py reads them from gpt_torch.py.
  const t = c === REFERENCE_CONFIG ? torchGeneration(promptTokens) : 'only at the reference size';
  const torch = typeof t === 'string' ? { skipped: t } : { tokensPerS: t.tokensPerS, ratio: cachedTokensPerS / t.tokensPerS, sameTokens: t.ids.join() === ids.join() };
  return {
    model: `GPT ${c.nLayers} layers, ${c.nHeads} heads, width ${c.dModel}, context ${c.contextLength}, vocab ${c.vocab}`,
    promptTokens,
    newTokens,
    cachedTokensPerS,
    uncachedTokensPerS,
    speedup: cachedTokensPerS / uncachedTokensPerS,
    sameTokens,
    torch,
  };
}
