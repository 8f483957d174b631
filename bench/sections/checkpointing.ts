import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_CONFIG, type GptBenchConfig } from '../config.ts';
import type { BenchBackend } from '../lib/parseArgs.ts';
import { run } from './torchReference.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'checkpointChild.ts');

/**
 * The scaling table's 25M GPT; one twice as deep that does not fit the wasm heap without
 * checkpointing; and about the largest that fits with it (151M: 3.4 GB of the 4 GB heap).
 */
export const CHECKPOINTING_CONFIGS: { name: string; config: GptBenchConfig }[] = [
  { name: '25M', config: { ...REFERENCE_CONFIG, nLayers: 8, nHeads: 8, dModel: 512 } },
  { name: '50M', config: { ...REFERENCE_CONFIG, nLayers: 16, nHeads: 8, dModel: 512 } },
  { name: '151M', config: { ...REFERENCE_CONFIG, nLayers: 12, nHeads: 8, dModel: 1024 } },
];

export interface CheckpointingRow {
  name: string;
  layers: number;
  width: number;
  checkpoint: boolean;
  /** A run that does not fit reports why (the wasm allocator's abort) instead of figures. */
  result: { ok: true; params: number; stepMs: number; tokensPerS: number; heapMB: number; losses: number[] } | { ok: false; reason: string };
}

/**
 * model:gpt with and without `activationCheckpointing` at each size (about 8 minutes in all), each run in a fresh process
 * (the wasm heap never shrinks, so its size after a run is that run's peak): step time, peak heap,
 * first losses (equal with and without: the same math).
 */
export async function checkpointingBench(backend: BenchBackend, steps = 2): Promise<CheckpointingRow[]> {
  const rows: CheckpointingRow[] = [];
  for (const { name, config } of CHECKPOINTING_CONFIGS) {
    for (const checkpoint of [false, true]) {
      const arg = JSON.stringify({ config: { ...config, checkpoint }, backend, steps });
      const { code, stdout, stderr } = await run(process.execPath, ['--import=tsx', CHILD, arg], 1_200_000);
      const line = stdout.trim().split('\n').pop() ?? '';
      let result: CheckpointingRow['result'];
      try {
        const r = JSON.parse(line) as { ok: boolean; params: number; stepMs: number; heapMB: number; losses: number[]; reason?: string };
        const tokens = config.batchSize * config.contextLength;
        result = r.ok ? { ok: true, params: r.params, stepMs: r.stepMs, tokensPerS: (tokens * 1000) / r.stepMs, heapMB: r.heapMB, losses: r.losses } : { ok: false, reason: r.reason ?? 'failed' };
      } catch {
        result = { ok: false, reason: `exit ${code}: ${stderr.trim().split('\n').pop()?.slice(0, 300) ?? ''}` };
      }
      rows.push({ name, layers: config.nLayers, width: config.dModel, checkpoint, result });
    }
  }
  return rows;
}
