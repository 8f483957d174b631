import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { REFERENCE_CONFIG, type GptBenchConfig } from '../config.ts';
import { graftGptTrainer } from '../graftGpt.ts';
import { gptFlopsPerToken } from '../lib/gptFlopsPerToken.ts';
import { parseTorchOutput, type TorchResult } from '../lib/parseTorchOutput.ts';
import { graftSteps } from '../measure.ts';
import { StepProbe } from '../plugins/StepProbe.ts';
import { PYTHON, run, torchScriptPath, torchSizeArgs } from './torchReference.ts';
import { torchTurns, type TorchTurns } from './torchTurns.ts';

const SIZED = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'gpt_torch_sized.py');

/**
 * GPT-2-like shapes around 1M, 6M and 25M parameters (and 6M at context 256), gpt_torch.py's data
 * and AdamW; `steps`: timed steps (after one warm-up) on each side, more for the small sizes so
 * that each takes a few seconds: a median of 3 steps of 0.2 s moves with the VM by more than the
 * ratio's last digit (0.765x at 3 steps where the throughput section's 20 gave 0.91x).
 * `turns`: then Graft and PyTorch take turns at that size (sections/torchTurns.ts), `pairs` ABBA
 * pairs of `stepsPerTurn` steps, the last timed: the ratio the VM's drift between the two separate
 * runs above does not move (25M's moved 0.76-0.93x between runs of the same code). One step a turn
 * from 6.4M on: a step is 1-5 s there, so waking the threads is lost in it.
 */
export const SCALING_CONFIGS: { name: string; config: GptBenchConfig; steps: number; turns: { pairs: number; stepsPerTurn: number } }[] = [
  { name: '0.8M', config: REFERENCE_CONFIG, steps: 20, turns: { pairs: 8, stepsPerTurn: 2 } },
  { name: '6.4M', config: { ...REFERENCE_CONFIG, nLayers: 8, nHeads: 8, dModel: 256 }, steps: 6, turns: { pairs: 6, stepsPerTurn: 1 } },
  { name: '6.4M, context 256', config: { ...REFERENCE_CONFIG, nLayers: 8, nHeads: 8, dModel: 256, contextLength: 256, batchSize: 8 }, steps: 6,
    turns: { pairs: 6, stepsPerTurn: 1 } },
  { name: '25M', config: { ...REFERENCE_CONFIG, nLayers: 8, nHeads: 8, dModel: 512 }, steps: 3, turns: { pairs: 6, stepsPerTurn: 1 } },
];

export interface ScalingRow {
  name: string;
  params: number;
  layers: number;
  width: number;
  context: number;
  batch: number;
  /** Timed steps on each side (after one warm-up). */
  steps: number;
  /** heapMB: the wasm heap after the run; it grows to the largest size a step needed and never shrinks, so it is the peak so far in this process (sizes run smallest first). */
  graft: { stepMs: number; tokensPerS: number; gflopsPerS: number; losses: number[]; heapMB: number | null; rssMB: number; threads: number };
  torch: { stepMs: number; tokensPerS: number; losses: number[]; maxRssMB: number } | { skipped: string };
  ratioToTorch: number | null;
  /** Graft and PyTorch taking turns at this size; `ratio` is the per-pair median (torch step / graft step). */
  turns: TorchTurns | { skipped: string };
  /** Largest |graft - torch| over the first losses; null without torch. */
  lossDiff: number | null;
}

/**
 * Graft's training step (the throughput section's recipe, on the bench process's wasm threads:
 * `--backends wasm-2t,...` for 2) and the PyTorch
 * reference at each size, one after the other (never at once): median step of the size's `steps`
 * (one with `quick`) after one warm-up step, first losses compared, the wasm heap (its peak so
 * far) and RSS; then the two taking turns at that size (one pair with `quick`).
 */
export async function scalingBench(quick = false, threads = 1): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  const torchOk = existsSync(torchScriptPath()) && spawnSync(PYTHON, ['-c', 'import torch'], { timeout: 60_000 }).status === 0;
  for (const { name, config: c, steps: fullSteps, turns: turnPlan } of SCALING_CONFIGS) {
    const steps = quick ? 1 : fullSteps;
    const probe = new StepProbe({ maxLosses: steps + 1 });
    const trainer = graftGptTrainer(c, [probe]);
    await trainer.setup();
    await graftSteps(trainer, probe, 1);
    const times = await graftSteps(trainer, probe, steps);
    // The probe keeps the losses of every step (clear() resets only the clocks).
    const losses = [...probe.losses];
    const heapMB = wasmHeapMB();
    const params = trainer.params.names({ role: 'param' }).reduce((n, k) => n + trainer.params.get(k).size, 0);
    trainer.dispose();
    const stepMs = [...times.wall].sort((a, b) => a - b)[Math.floor(times.wall.length / 2)]!;
    const tokens = c.batchSize * c.contextLength;
    const flops = gptFlopsPerToken({ params, contextLength: c.contextLength, nLayers: c.nLayers, dModel: c.dModel });
    const graft = {
      stepMs, tokensPerS: (tokens * 1000) / stepMs, gflopsPerS: (flops * tokens) / stepMs / 1e6, losses: losses.slice(0, 3),
      heapMB, rssMB: process.memoryUsage().rss / 2 ** 20, threads,
    };
    let torch: ScalingRow['torch'] = { skipped: torchOk ? 'failed' : 'torch or the reference script is missing (as in CI)' };
    if (torchOk) {
      const args = [SIZED, '--script', torchScriptPath(), ...torchSizeArgs(c), '--steps', String(steps), '--warmup', '1', '--losses'];
      const { stdout: out } = await run(PYTHON, args, 600_000);
      try {
        const r: TorchResult = parseTorchOutput(out);
        torch = { stepMs: r.step_ms, tokensPerS: r.tokens_per_s, losses: (r.losses ?? []).slice(0, 3), maxRssMB: (r as unknown as { max_rss_mb: number }).max_rss_mb };
      } catch (e) {
        torch = { skipped: `gpt_torch_sized.py: ${(e as Error).message}` };
      }
    }
    const t = 'stepMs' in torch ? torch : undefined;
    const turns: ScalingRow['turns'] = 'skipped' in torch ? { skipped: torch.skipped }
      : await torchTurns(quick ? 1 : turnPlan.pairs, threads, 2, { config: c, stepsPerTurn: turnPlan.stepsPerTurn, warmup: 1 })
        .catch((e: Error) => ({ skipped: `taking turns: ${e.message}` }));
    rows.push({
      name, params, layers: c.nLayers, width: c.dModel, context: c.contextLength, batch: c.batchSize, steps, graft, torch, turns,
      ratioToTorch: t ? graft.tokensPerS / t.tokensPerS : null,
      lossDiff: t ? Math.max(...graft.losses.map((l, i) => Math.abs(l - (t.losses[i] ?? NaN)))) : null,
    });
  }
  return rows;
}

/** The wasm backend's heap in MB (tfjs's own backend object), or null on another backend. */
export function wasmHeapMB(): number | null {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength / 2 ** 20 : null;
}
