/**
 * One throughput row in a process of its own, for backends that must be chosen before wasm first
 * starts (wasm-2t, or 1-thread wasm when the bench runs on 2):
 * `node --import=tsx bench/row.ts <backend> <plan JSON> <budget ms> [<turn pairs>]`. With turn
 * pairs (> 0), Graft's step on this backend then takes turns with PyTorch's (sections/torchTurns.ts),
 * so each thread count's ratio to PyTorch has a measure the VM's drifting speed does not move.
 * Prints one JSON line { rows, profile?, turns? } on stdout. Run by run.ts; not meant to be run by hand.
 */
import { Budget } from './lib/budget.ts';
import { benchThreads, parseArgs } from './lib/parseArgs.ts';
import { gptThroughput, type StepPlan } from './sections/gptThroughput.ts';
import { torchTurns } from './sections/torchTurns.ts';
import { failed } from './report.ts';

const [backendArg, planJson, budgetMs, pairsArg] = process.argv.slice(2);
const backend = parseArgs(['--backends', backendArg ?? '']).backends[0]!;
const plan = JSON.parse(planJson ?? '{}') as StepPlan;
const res = await gptThroughput(backend, ['graft'], plan, new Budget(Number(budgetMs)));
const pairs = Number(pairsArg ?? 0);
const turns = pairs > 0
  ? await torchTurns(pairs, benchThreads(backend) ?? 1).catch(failed)
  : undefined;
process.stdout.write(`${JSON.stringify(turns ? { ...res, turns } : res)}\n`);
