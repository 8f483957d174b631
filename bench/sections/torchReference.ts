import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTorchOutput, type TorchResult } from '../lib/parseTorchOutput.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's python, which has python3-torch; the `python3` on PATH may be another one without it. */
const PYTHON = process.env.GRAFT_TORCH_PYTHON ?? '/usr/bin/python3';

export type TorchSection =
  | { status: 'measured'; script: string; python: string; args: string[]; wallS: number; result: TorchResult }
  | { status: 'skipped'; reason: string };

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
  const t0 = performance.now();
  const { code, stdout, stderr } = await run(PYTHON, args, o.timeoutMs);
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) return { status: 'skipped', reason: `${path.basename(script)} failed (${code}): ${lastLine(stderr)}` };
  try {
    return { status: 'measured', script, python: PYTHON, args: args.slice(1), wallS, result: parseTorchOutput(stdout) };
  } catch (err) {
    return { status: 'skipped', reason: (err as Error).message };
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | string; stdout: string; stderr: string }> {
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
