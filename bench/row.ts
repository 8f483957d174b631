/**
 * One throughput row in a process of its own, for backends that must be chosen before wasm first
 * starts (wasm-2t): `node --import=tsx bench/row.ts <backend> <plan JSON> <budget ms>`. Prints one
 * JSON line { rows, profile? } on stdout. Run by run.ts; not meant to be run by hand.
 */
import { Budget } from './lib/budget.ts';
import { parseArgs } from './lib/parseArgs.ts';
import { gptThroughput, type StepPlan } from './sections/gptThroughput.ts';

const [backendArg, planJson, budgetMs] = process.argv.slice(2);
const backend = parseArgs(['--backends', backendArg ?? '']).backends[0]!;
const plan = JSON.parse(planJson ?? '{}') as StepPlan;
const res = await gptThroughput(backend, ['graft'], plan, new Budget(Number(budgetMs)));
process.stdout.write(`${JSON.stringify(res)}\n`);
