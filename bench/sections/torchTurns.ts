/**
 * Graft's training step and PyTorch's taking turns (`turns` section): the reference GPT trained
 * by Graft's trainer in this process and by gpt_torch.py's step in a Python process
 * (`gpt_torch_turns.py`), taking turns, ABBA, never at once. On a shared VM whose speed drifts by
 * ±10-35 % within minutes, two runs a minute apart (the throughput section's rows and its PyTorch
 * run) can land in different phases; turns see the same machine, so the per-pair ratio of their
 * times is what the machine's phase does not move. A turn is two steps and only the second is
 * timed: the first pays for waking the side's threads (PyTorch's OpenMP pool sleeps after the
 * other side's turn; measured on the first step of a turn, up to ~15 % slower), which a training
 * loop never does.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REFERENCE_CONFIG, type GptBenchConfig } from '../config.ts';
import { graftGptTrainer } from '../graftGpt.ts';
import { median, quantile } from '../lib/stats.ts';
import { graftSteps } from '../measure.ts';
import { StepProbe } from '../plugins/StepProbe.ts';
import { PYTHON, torchScriptPath, torchSizeArgs } from './torchReference.ts';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'gpt_torch_turns.py');

export interface TorchTurns {
  /** Turns of each side (after the warm-up steps); a turn is `stepsPerTurn` steps, the last timed. */
  pairs: number;
  stepsPerTurn: number;
  /** Threads of Graft's backend (the bench process's) and PyTorch's. */
  graftThreads: number;
  torchThreads: number;
  /** Median step of each side, ms. */
  graftMs: number;
  torchMs: number;
  /** Graft's speed over PyTorch's (torch step / graft step) per pair: median and quartiles. */
  ratio: number;
  ratioQuartiles: [number, number];
}

export interface TurnsOptions {
  /** The model and batch (default the reference size); PyTorch's side runs the reference at this size. */
  config?: GptBenchConfig;
  /** Steps a turn, the last timed (default 2). One is enough where a step is seconds long: waking the
   * threads (~ms) is then lost in it, and a pair of two-step turns would take four such steps. */
  stepsPerTurn?: number;
  /** Untimed steps on each side before the turns (default 2). */
  warmup?: number;
}

export async function torchTurns(pairs: number, graftThreads: number, torchThreads = 2, opts: TurnsOptions = {}): Promise<TorchTurns> {
  const { config = REFERENCE_CONFIG, stepsPerTurn = 2, warmup = 2 } = opts;
  const script = torchScriptPath();
  if (!existsSync(script)) throw new Error(`reference script not found at ${script} (set GRAFT_TORCH_BENCH)`);
  const size = config === REFERENCE_CONFIG ? [] : torchSizeArgs(config);
  const py = turnsDriver([DRIVER, '--script', script, '--threads', String(torchThreads), '--warmup', String(warmup), ...size]);
  const probe = new StepProbe({ maxLosses: 4 });
  const trainer = graftGptTrainer(config, [probe]);
  try {
    await trainer.setup();
    await graftSteps(trainer, probe, warmup);
    await py.ready();
    const times = await alternate(pairs, async () => (await graftSteps(trainer, probe, stepsPerTurn)).wall[stepsPerTurn - 1]!, () => py.turn(stepsPerTurn));
    return { pairs, stepsPerTurn, graftThreads, torchThreads, ...times };
  } finally {
    trainer.dispose();
    py.close();
  }
}

/** A Python process that trains on request: "ready" after its warm-up, then a step's ms for each "step" line; "exit" ends it. */
export interface TurnsDriver {
  /** Resolves at its "ready" line. */
  ready(): Promise<void>;
  /** `steps` steps; the last one's ms. */
  turn(steps: number): Promise<number>;
  close(): void;
}

/** Starts `PYTHON args` as a turns driver (gpt_torch_turns.py, awd_lstm_torch.py --turns); its errors name the script and its last stderr line. */
export function turnsDriver(args: string[]): TurnsDriver {
  const name = path.basename(args[0]!);
  const py = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  py.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`${name} ended: ${stderr.trim().split('\n').pop() ?? ''}`);
    return r.value;
  };
  return {
    async ready() {
      const line = await nextLine();
      if (line !== 'ready') throw new Error(`${name} did not start: ${line}`);
    },
    async turn(steps) {
      py.stdin.write('step\n'.repeat(steps));
      for (let s = 1; s < steps; s++) await nextLine();
      return Number(await nextLine());
    },
    close() {
      py.stdin.end('exit\n');
    },
  };
}

/**
 * `pairs` turns of each side, ABBA (which side goes first alternates, so neither always follows
 * the other); each turn returns its timed step's ms. The ratio is Graft's speed over PyTorch's
 * (torch ms / graft ms) per pair.
 */
export async function alternate(pairs: number, graftTurn: () => Promise<number>, torchTurn: () => Promise<number>):
  Promise<Pick<TorchTurns, 'graftMs' | 'torchMs' | 'ratio' | 'ratioQuartiles'>> {
  const graft: number[] = [];
  const torch: number[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      graft.push(await graftTurn());
      torch.push(await torchTurn());
    } else {
      torch.push(await torchTurn());
      graft.push(await graftTurn());
    }
  }
  const ratios = graft.map((g, i) => torch[i]! / g);
  return { graftMs: median(graft), torchMs: median(torch), ratio: median(ratios), ratioQuartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)] };
}
