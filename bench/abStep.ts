/**
 * A/B of a kernel switch read from the environment on every call, in one process: the reference
 * GPT's training step (the bare loop, `BareRunner`) with the variable at '0' and at '1', two steps
 * each in alternation, so that load from other processes on a shared machine hits both alike (two
 * runs of the bench minutes apart differ by more than the effects measured here). With
 * `--products`, also the step's 75 matrix products alone (`productsAlone`), alternating the same
 * way: per product the best of the rounds.
 *
 *   GRAFT_WASM_THREADS=2 node --import=tsx bench/abStep.ts GRAFT_GEMM_PAD [--rounds 12] [--products]
 *
 * Prints one JSON document. Switches it serves: GRAFT_GEMM_PAD (padded operand strides, see
 * conflictFreeStride in core/backend/kernels/BatchMatMul.ts).
 */
import { selectBackend } from '../core/backend/index.ts';
import { BareRunner } from './measure.ts';
import { REFERENCE_CONFIG } from './config.ts';
import { productsAlone } from './productsAlone.ts';
import { median } from './lib/stats.ts';

const args = process.argv.slice(2);
const name = args.find(a => !a.startsWith('--'));
if (name == null) {
  console.error('usage: node --import=tsx bench/abStep.ts <ENV_VAR> [--rounds N] [--products]');
  process.exit(2);
}
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 12;
const info = await selectBackend({ prefer: 'wasm' });
const values = ['0', '1'] as const;

const runner = new BareRunner(REFERENCE_CONFIG, 3);
await runner.steps(3); // warm: kernels compiled, wasm at its optimising tier
const steps: Record<string, number[]> = { 0: [], 1: [] };
for (let r = 0; r < rounds; r++) {
  for (const v of values) {
    process.env[name] = v;
    steps[v]!.push(...(await runner.steps(2)).wall);
  }
}
runner.dispose();

let products: Record<string, unknown> | undefined;
if (args.includes('--products')) {
  const best: Record<string, Record<string, number>> = { 0: {}, 1: {} };
  for (let r = 0; r < 6; r++) {
    for (const v of values) {
      process.env[name] = v;
      const p = productsAlone(REFERENCE_CONFIG, 5);
      if (r === 0) continue; // warm-up round
      for (const q of p.products) best[v]![q.name] = Math.min(best[v]![q.name] ?? Infinity, q.ms * q.count);
    }
  }
  const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  products = Object.fromEntries(values.map(v => [v, {
    ms: +total(best[v]!).toFixed(1),
    perProduct: Object.fromEntries(Object.entries(best[v]!).map(([k, ms]) => [k, +ms.toFixed(2)])),
  }]));
}

const summary = (v: string) => ({ medianMs: +median(steps[v]!).toFixed(1), minMs: +Math.min(...steps[v]!).toFixed(1), steps: steps[v]!.length });
console.log(JSON.stringify({
  variable: name, threads: info.threads, model: 'reference GPT (bench/config.ts), bare loop',
  step: { 0: summary('0'), 1: summary('1') }, firstLosses: runner.losses, products,
}, null, 1));
