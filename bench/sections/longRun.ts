import { REFERENCE_CONFIG } from '../config.ts';
import { graftGptTrainer } from '../graftGpt.ts';
import type { BenchBackend } from '../lib/parseArgs.ts';
import { median, overheadPercent } from '../lib/stats.ts';
import { graftSteps, useBackend } from '../measure.ts';
import { StepProbe, type MemorySample } from '../plugins/StepProbe.ts';
import { REFERENCE_TOKENS_PER_STEP } from './gptThroughput.ts';

export interface LongRunResult {
  backend: BenchBackend;
  steps: number;
  memory: MemorySample[];
  /** RSS growth from step 100 to the last step, in percent (target < 5). */
  rssGrowthPercent: number;
  /** numTensors equal at step 100 and at the last step. */
  tensorsFlat: boolean;
  medianStepMs: number;
  tokensPerS: number;
  lossLast: number;
  wallS: number;
  meetsTarget: boolean;
}

/** (e) A long run at the reference size: memory at steps 1, 100 and the last (1,000). */
export async function longRun(backend: BenchBackend, steps = 1000): Promise<LongRunResult> {
  await useBackend(backend);
  const at = [1, 100, steps];
  const probe = new StepProbe({ memoryAt: at, maxLosses: Infinity });
  const trainer = graftGptTrainer(REFERENCE_CONFIG, [probe]);
  try {
    await trainer.setup();
    const t0 = performance.now();
    const times = await graftSteps(trainer, probe, steps);
    const wallS = (performance.now() - t0) / 1000;
    const m100 = probe.memory.find((m) => m.step === 100)!;
    const mEnd = probe.memory.find((m) => m.step === steps)!;
    const growth = overheadPercent(mEnd.rssMB, m100.rssMB);
    const flat = mEnd.numTensors === m100.numTensors;
    const stepMs = median(times.wall);
    return {
      backend,
      steps,
      memory: probe.memory,
      rssGrowthPercent: growth,
      tensorsFlat: flat,
      medianStepMs: stepMs,
      tokensPerS: (REFERENCE_TOKENS_PER_STEP * 1000) / stepMs,
      lossLast: probe.losses[probe.losses.length - 1]!,
      wallS,
      meetsTarget: growth < 5 && flat,
    };
  } finally {
    trainer.dispose();
  }
}
