import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, silentLogger } from '../../core/index.ts';
import { AdamwOptimizer, AwdLstmModel, LmHead, NextTokenObjective } from '../../plugins/index.ts';
import { REFERENCE_CONFIG } from '../config.ts';
import { lstmFlopsPerToken } from '../lib/lstmFlopsPerToken.ts';
import type { BenchBackend } from '../lib/parseArgs.ts';
import type { Budget } from '../lib/budget.ts';
import { median } from '../lib/stats.ts';
import { graftSteps, useBackend } from '../measure.ts';
import { parseTorchOutput } from '../lib/parseTorchOutput.ts';
import { MarkovDataset, markovTensors } from '../plugins/MarkovDataset.ts';
import { markovTokens, REFERENCE_MARKOV } from '../lib/markovData.ts';
import { PYTHON, run, torchScriptPath } from './torchReference.ts';
import { StepProbe } from '../plugins/StepProbe.ts';
import { timedSteps, type StepPlan } from './gptThroughput.ts';
import { alternate, turnsDriver, type TorchTurns } from './torchTurns.ts';

const TORCH_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'awd_lstm_torch.py');

/** The PyTorch AWD-LSTM's run (bench/awd_lstm_torch.py) on the same data and initial weights, or why not. */
export type AwdLstmTorch =
  | { stepMs: number; tokensPerS: number; losses: number[]; lossEval0: number; maxRssMB: number; threads: number }
  | { skipped: string };

/** ULMFiT language-model batches: bptt 70 (the AWD-LSTM paper's), 16 sequences. */
const BATCH = 16;
const BPTT = 70;

export type AwdLstmResult =
  | {
      status: 'measured';
      backend: BenchBackend;
      model: string;
      options: Record<string, unknown>;
      params: number;
      batch: number;
      bptt: number;
      warmupSteps: number;
      timedSteps: number;
      stepMs: number;
      tokensPerS: number;
      gflopsPerS: number;
      losses: number[];
      leakedTensors: number;
      /** Next-token cross-entropy of training batch 0 at the initial weights, dropout off, no AR/TAR (the numerics check against PyTorch's). */
      lossEval0: number;
      torch: AwdLstmTorch;
      ratioToTorch: number | null;
      /** Graft's step and PyTorch's taking turns (ABBA, the last step of each turn timed: see STEPS_PER_TURN), after the separate runs: the ratio the VM's drift does not move; null without PyTorch. */
      turns: AwdLstmTurns | null;
      /** |Graft − PyTorch| of lossEval0; null without torch. */
      lossEval0Diff: number | null;
    }
  | { status: 'skipped'; reason: string };

export type AwdLstmTurns = Pick<TorchTurns, 'pairs' | 'stepsPerTurn' | 'graftMs' | 'torchMs' | 'ratio' | 'ratioQuartiles'>;

/**
 * Pairs of turns and steps a turn (a step is ~60-120 ms), the last step of a turn timed: with two
 * steps a turn, Graft's timed step still ran ~35 % slower than alone (116 vs 87 ms; PyTorch's 87 vs 80),
 * something of PyTorch's turn lasting ~0.1-0.2 s; with four, 79 vs 84 alone (2026-12-06).
 */
const TURN_PAIRS = 8;
const STEPS_PER_TURN = 4;

/**
 * (c) `model:awd-lstm` at its default size (with its default dropouts and AR/TAR) under a tied
 * `head:lm`, next-token objective and AdamW, on the reference's Markov data. If it does not build
 * or train, the section is skipped with the error as reason.
 */
export async function awdLstmThroughput(backend: BenchBackend, plan: StepPlan, budget: Budget, torchOpts: { run: boolean; threads?: number } = { run: true }): Promise<AwdLstmResult> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  let trainer: ReturnType<typeof createTrainer> | undefined;
  try {
    const model = new AwdLstmModel({ vocabSize: REFERENCE_CONFIG.vocab });
    const probe = new StepProbe({ maxLosses: 5 });
    trainer = createTrainer({
      plugins: [
        new MarkovDataset({ batchSize: BATCH, contextLength: BPTT, vocab: REFERENCE_CONFIG.vocab }),
        model,
        new LmHead({ tied: true }),
        new NextTokenObjective(),
        new AdamwOptimizer({ ...REFERENCE_CONFIG.adam }),
        probe,
      ],
      options: { seed: 0, epochs: 1 },
      logger: silentLogger(),
    });
    await trainer.setup();
    // The initial weights for PyTorch, and the loss both compute on them before any step.
    const weightsDir = mkdtempSync(path.join(tmpdir(), 'graft-bench-awd-'));
    await trainer.save(weightsDir);
    const lossEval0 = evalLoss(trainer, markovTensors(markovTokens({ ...REFERENCE_MARKOV, vocab: REFERENCE_CONFIG.vocab }), 0, BATCH, BPTT));
    const timed = await timedSteps((n) => graftSteps(trainer!, probe, n), plan, budget);
    const steps = timed.wall.length;
    const stepMs = median(timed.wall);
    const o = model.options as { embSize: number; hiddenSize: number; nLayers: number };
    const hidden = Array.from({ length: o.nLayers }, (_, i) => (i === o.nLayers - 1 ? o.embSize : o.hiddenSize));
    const flops = lstmFlopsPerToken({ vocab: REFERENCE_CONFIG.vocab, embSize: o.embSize, hiddenSizes: hidden });
    const params = trainer.params.count();
    // After Graft's steps, never beside them: PyTorch's threads and ours would share the cores.
    const torchArgs = torchOpts.run ? await awdLstmTorchArgs(path.join(weightsDir, 'params.safetensors'), o) : { skipped: '--no-torch' };
    const torch = 'skipped' in torchArgs ? torchArgs : await awdLstmTorch(torchArgs, torchOpts.threads ?? 2, plan);
    let turns: AwdLstmTurns | null = null;
    if ('tokensPerS' in torch && !('skipped' in torchArgs)) {
      const py = turnsDriver([...torchArgs, '--warmup', String(plan.warmup), '--threads', String(torchOpts.threads ?? 2), '--turns']);
      try {
        await py.ready();
        const times = await alternate(TURN_PAIRS, async () => (await graftSteps(trainer!, probe, STEPS_PER_TURN)).wall[STEPS_PER_TURN - 1]!, () => py.turn(STEPS_PER_TURN));
        turns = { pairs: TURN_PAIRS, stepsPerTurn: STEPS_PER_TURN, ...times };
      } finally {
        py.close();
      }
    }
    trainer.dispose();
    trainer = undefined;
    const leakedTensors = tf.memory().numTensors - before;
    rmSync(weightsDir, { recursive: true, force: true });
    const tokensPerS = (BATCH * BPTT * 1000) / stepMs;
    return {
      status: 'measured',
      backend,
      model: `AWD-LSTM ${o.nLayers} layers, embedding ${o.embSize}, hidden ${o.hiddenSize}, tied head, vocab ${REFERENCE_CONFIG.vocab}`,
      options: { ...model.options },
      params,
      batch: BATCH,
      bptt: BPTT,
      warmupSteps: plan.warmup,
      timedSteps: steps,
      stepMs,
      tokensPerS,
      gflopsPerS: (flops * BATCH * BPTT) / stepMs / 1e6,
      losses: probe.losses.slice(0, 5),
      leakedTensors,
      lossEval0,
      torch,
      ratioToTorch: 'tokensPerS' in torch ? tokensPerS / torch.tokensPerS : null,
      turns,
      lossEval0Diff: 'lossEval0' in torch ? Math.abs(lossEval0 - torch.lossEval0) : null,
    };
  } catch (err) {
    return { status: 'skipped', reason: `model:awd-lstm did not train: ${firstLine(err)}` };
  } finally {
    trainer?.dispose();
  }
}

/** Mean next-token cross-entropy of one batch in evaluation mode (no dropout, no AR/TAR), in float64 on the host. */
function evalLoss(trainer: ReturnType<typeof createTrainer>, batch: { inputs?: tf.Tensor; targets?: tf.Tensor }): number {
  const logits = tf.tidy(() => tf.logSoftmax(trainer.forward(batch as never, false).logits!));
  const lp = logits.dataSync();
  const y = batch.targets!.dataSync();
  const V = logits.shape[logits.rank - 1]!;
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum -= lp[i * V + y[i]!]!;
  tf.dispose([logits, batch.inputs!, batch.targets!]);
  return sum / y.length;
}

/** awd_lstm_torch.py's arguments for the saved initial weights, the same data, model and AdamW; skipped without torch (CI). */
async function awdLstmTorchArgs(weights: string, o: { embSize: number; hiddenSize: number; nLayers: number }): Promise<string[] | { skipped: string }> {
  if (!existsSync(torchScriptPath())) return { skipped: `the GPT reference script (its data) is not at ${torchScriptPath()}` };
  if (spawnSync(PYTHON, ['-c', 'import torch'], { timeout: 60_000 }).status !== 0) return { skipped: `torch is not importable by ${PYTHON} (as in CI)` };
  const m = o as unknown as Record<string, number>;
  return [TORCH_SCRIPT, '--script', torchScriptPath(), '--weights', weights, '--emb', String(o.embSize), '--hidden', String(o.hiddenSize), '--layers', String(o.nLayers),
    '--bptt', String(BPTT), '--batch', String(BATCH), '--vocab', String(REFERENCE_CONFIG.vocab),
    '--embed-dropout', String(m.embedDropout), '--input-dropout', String(m.inputDropout), '--hidden-dropout', String(m.hiddenDropout), '--output-dropout', String(m.outputDropout),
    '--weight-dropout', String(m.weightDropout), '--alpha', String(m.alpha), '--beta', String(m.beta)];
}

/** The separate PyTorch run: its step time, losses and the loss at the initial weights. */
async function awdLstmTorch(args: string[], threads: number, plan: StepPlan): Promise<AwdLstmTorch> {
  const { code, stdout, stderr } = await run(PYTHON, [...args, '--steps', String(Math.max(plan.min, 10)), '--warmup', String(plan.warmup), '--threads', String(threads), '--losses'], 600_000);
  if (code !== 0) return { skipped: `awd_lstm_torch.py failed (${code}): ${stderr.trim().split('\n').at(-1)?.slice(0, 300)}` };
  try {
    const r = parseTorchOutput(stdout) as ReturnType<typeof parseTorchOutput> & { loss_eval0: number; max_rss_mb: number };
    return { stepMs: r.step_ms, tokensPerS: r.tokens_per_s, losses: (r.losses ?? []).slice(0, 5), lossEval0: r.loss_eval0, maxRssMB: r.max_rss_mb, threads };
  } catch (e) {
    return { skipped: `awd_lstm_torch.py: ${(e as Error).message}` };
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 300);
}
