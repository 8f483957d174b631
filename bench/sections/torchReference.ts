import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTorchOutput, type TorchResult } from '../lib/parseTorchOutput.ts';
import type { GptBenchConfig } from '../config.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's python, which has python3-torch; the `python3` on PATH may be another one without it. */
export const PYTHON = process.env.GRAFT_TORCH_PYTHON ?? '/usr/bin/python3';

export type TorchSection =
  | {
      status: 'measured';
      script: string;
      python: string;
      args: string[];
      wallS: number;
      /** os.loadavg() just before the run: PyTorch's two threads slow down several-fold when another process takes a core. */
      loadavgBefore: number[];
      /** Set when the machine was busy: the reference's speed, and every ratio to it, are then unreliable. */
      warning?: string;
      result: TorchResult;
    }
  | { status: 'skipped'; reason: string };

/** The size options of gpt_torch_sized.py and gpt_torch_turns.py (torch_reference.py's `add_size_options`) for a config. */
export function torchSizeArgs(c: GptBenchConfig): string[] {
  return ['--layers', c.nLayers, '--width', c.dModel, '--heads', c.nHeads, '--context', c.contextLength, '--batch', c.batchSize, '--vocab', c.vocab].map(String);
}

/** The reference script: env GRAFT_TORCH_BENCH, else ../shared/bench/gpt_torch.py next to the repo. */
export function torchScriptPath(): string {
  return path.resolve(REPO, process.env.GRAFT_TORCH_BENCH ?? '../shared/bench/gpt_torch.py');
}

/**
 * (d) Runs the PyTorch reference (gpt_torch.py) in its own process, alone (nothing else of the
 * bench runs meanwhile), and parses its JSON line. Skips, with the reason, when the script or torch
 * is missing, as in CI.
 */
export async function torchReference(o: { steps: number; warmup: number; timeoutMs: number }): Promise<TorchSection> {
  const script = torchScriptPath();
  if (!existsSync(script)) return { status: 'skipped', reason: `reference script not found at ${script} (set GRAFT_TORCH_BENCH)` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : lastLine(probe.stderr) || `exit ${probe.status}`;
    return { status: 'skipped', reason: `torch is not importable by ${PYTHON}: ${why}` };
  }
  const args = [script, '--steps', String(o.steps), '--warmup', String(o.warmup), '--losses'];
  const loadavgBefore = os.loadavg();
  const t0 = performance.now();
  const { code, stdout, stderr } = await run(PYTHON, args, o.timeoutMs);
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) return { status: 'skipped', reason: `${path.basename(script)} failed (${code}): ${lastLine(stderr)}` };
  try {
    const result = parseTorchOutput(stdout);
    const cores = os.cpus().length;
    // Before, not after: the reference's own threads raise the load average.
    const busy = loadavgBefore[0]!;
    const warning = busy >= 1
      ? `the machine was busy (1-min load average ${busy.toFixed(1)} on ${cores} cores before the run): PyTorch's threads slow down several-fold when another process takes a core, so its speed and the ratios to it are unreliable in this run`
      : undefined;
    return { status: 'measured', script, python: PYTHON, args: args.slice(1), wallS, loadavgBefore, ...(warning ? { warning } : {}), result };
  } catch (err) {
    return { status: 'skipped', reason: (err as Error).message };
  }
}

/** Runs a command to its end (killed after `timeoutMs`), collecting its output. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 'spawn-error', stdout, stderr: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? `killed by ${signal} after ${timeoutMs / 1000} s`, stdout, stderr });
    });
  });
}

function lastLine(s: string | undefined): string {
  const lines = (s ?? '').trim().split('\n');
  return lines[lines.length - 1]!.slice(0, 300);
}
