/**
 * One GPT training run in a process of its own, for the scaling section's checkpointing rows: the
 * wasm heap grows to the largest size a step needed and never shrinks, so each configuration's
 * peak needs a fresh process. argv[2]: JSON { config, backend, steps }. Prints one JSON line:
 * { ok: true, params, stepMs (median after one warm-up step), heapMB, losses } or { ok: false, reason }.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GptBenchConfig } from './config.ts';
import { graftGptTrainer } from './graftGpt.ts';
import type { BenchBackend } from './lib/parseArgs.ts';
import { graftSteps, useBackend } from './measure.ts';
import { StepProbe } from './plugins/StepProbe.ts';

const { config, backend, steps } = JSON.parse(process.argv[2]!) as { config: GptBenchConfig; backend: BenchBackend; steps: number };
const heapMB = () => ((tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength ?? NaN) / 2 ** 20;
try {
  await useBackend(backend);
  const probe = new StepProbe({ maxLosses: steps + 1 });
  const trainer = graftGptTrainer(config, [probe]);
  await trainer.setup();
  await graftSteps(trainer, probe, 1);
  const times = await graftSteps(trainer, probe, steps);
  const sorted = [...times.wall].sort((a, b) => a - b);
  const out = { ok: true, params: trainer.params.count(), stepMs: sorted[Math.floor(sorted.length / 2)], heapMB: heapMB(), losses: probe.losses.slice(0, 3) };
  trainer.dispose();
  console.log(JSON.stringify(out));
} catch (e) {
  // wasm's allocator aborts when the 4 GB heap cannot grow: the run does not fit.
  // GraftError's summary leaves out the hint (the report's table has no room for it).
  const err = e as Error & { summary?: string };
  console.log(JSON.stringify({ ok: false, reason: err.summary ?? `${err.message.split('\n')[0]} (wasm heap ${heapMB().toFixed(0)} MB)` }));
}
