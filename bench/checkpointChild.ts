/**
 * One GPT training run in a process of its own, for the scaling section's checkpointing rows: the
 * wasm heap grows to the largest size a step needed and never shrinks, so each configuration's
 * peak needs a fresh process. argv[2]: JSON { config, backend, steps }. Prints one JSON line:
 * { ok: true, params, stepMs (median of the timed steps after one warm-up step), heapMB, losses } or { ok: false, reason }.
 */
import type { GptBenchConfig } from './config.ts';
import { graftGptTrainer } from './graftGpt.ts';
import type { BenchBackend } from './lib/parseArgs.ts';
import { median } from './lib/stats.ts';
import { graftSteps, useBackend } from './measure.ts';
import { StepProbe } from './plugins/StepProbe.ts';
import { wasmHeapMB } from './sections/scaling.ts';

const { config, backend, steps } = JSON.parse(process.argv[2]!) as { config: GptBenchConfig; backend: BenchBackend; steps: number };
try {
  await useBackend(backend);
  const probe = new StepProbe({ maxLosses: steps + 1 });
  const trainer = graftGptTrainer(config, [probe]);
  await trainer.setup();
  await graftSteps(trainer, probe, 1);
  const times = await graftSteps(trainer, probe, steps);
  const out = { ok: true, params: trainer.params.count(), stepMs: median(times.wall), heapMB: wasmHeapMB(), losses: probe.losses.slice(0, 3) };
  trainer.dispose();
  console.log(JSON.stringify(out));
} catch (e) {
  // GRAFT_ERR_OUT_OF_MEMORY when the 4 GB heap cannot hold the step: the run does not fit.
  // GraftError's summary leaves out the hint (the report's table has no room for it).
  const err = e as Error & { summary?: string };
  console.log(JSON.stringify({ ok: false, reason: err.summary ?? `${err.message.split('\n')[0]} (wasm heap ${wasmHeapMB()?.toFixed(0) ?? '?'} MB)` }));
}
