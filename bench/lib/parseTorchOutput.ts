/** What gpt_torch.py prints (one JSON line); the fields the report uses. */
export interface TorchResult {
  impl: 'torch';
  backend: string;
  tokens_per_s: number;
  step_ms: number;
  loss_first: number;
  loss_last: number;
  params: number;
  gflops_per_s: number;
  torch: string;
  losses?: number[];
  [k: string]: unknown;
}

/** The last stdout line that is a JSON object with impl "torch" and a numeric tokens_per_s. */
export function parseTorchOutput(stdout: string): TorchResult {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const o = JSON.parse(lines[i]!) as Record<string, unknown>;
      if (o.impl === 'torch' && typeof o.tokens_per_s === 'number' && Number.isFinite(o.tokens_per_s)) return o as TorchResult;
    } catch {
      // not JSON: keep looking
    }
  }
  throw new Error(`no JSON result line in the reference's output: ${JSON.stringify(stdout.slice(-300))}`);
}
