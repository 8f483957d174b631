/**
 * What the trainer's per-step finite-loss flag costs (core/trainer/FiniteWatch.ts):
 *
 *   node --import=tsx bench/finiteFlag.ts [wasm|cpu] [pairs]
 *
 * 1. The update alone: `FiniteWatch.update` on a scalar loss, 5 rounds of 2,000 calls after 2,000
 *    to warm up; wall and process-CPU microseconds per call, median round. No read happens in the update; the one read at
 *    the end flushes the queue, so the time covers the kernels too.
 * 2. In the loop: the micro and tiny bench GPTs (bench/config.ts) trained by the trainer with the
 *    update on, and with it replaced by a no-op, in interleaved blocks (on off off on ...); median
 *    step of each, wall and CPU. The difference is within the noise of a shared machine for the
 *    tiny GPT; part 1 is the figure to quote.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FiniteWatch } from '../core/trainer/FiniteWatch.ts';
import { MICRO_CONFIG, TINY_CONFIG, type GptBenchConfig } from './config.ts';
import { graftGptTrainer } from './graftGpt.ts';
import type { BenchBackend } from './lib/parseArgs.ts';
import { median } from './lib/stats.ts';
import { graftSteps, useBackend, type StepTimes } from './measure.ts';
import { cpuMs, StepProbe } from './plugins/StepProbe.ts';

const backend = (process.argv[2] ?? 'wasm') as BenchBackend;
const pairs = Number(process.argv[3] ?? 20);
await useBackend(backend);

// 1. The update alone: 5 rounds of N calls after a warm-up of 2,000 (V8 optimises the op wrappers), median round.
const watch = new FiniteWatch();
watch.init();
const loss = tf.scalar(2.5);
const N = 2000;
for (let i = 0; i < 2000; i++) watch.update(loss, i);
await watch.read();
const rounds: { wallUs: number; cpuUs: number }[] = [];
for (let r = 0; r < 5; r++) {
  const w0 = performance.now();
  const c0 = cpuMs();
  for (let i = 0; i < N; i++) watch.update(loss, i);
  await watch.read();
  rounds.push({ wallUs: ((performance.now() - w0) * 1000) / N, cpuUs: ((cpuMs() - c0) * 1000) / N });
}
const alone = { wallUs: median(rounds.map((r) => r.wallUs)), cpuUs: median(rounds.map((r) => r.cpuUs)) };
loss.dispose();
watch.dispose();

// 2. In the loop, flag on vs off.
const realUpdate = FiniteWatch.prototype.update;
const noop = function (this: FiniteWatch) {} as typeof realUpdate;

async function inLoop(c: GptBenchConfig, K: number) {
  const probe = new StepProbe();
  const trainer = graftGptTrainer(c, [probe]);
  await trainer.setup();
  await graftSteps(trainer, probe, 20);
  const on: StepTimes[] = [];
  const off: StepTimes[] = [];
  try {
    for (let p = 0; p < pairs; p++) {
      for (const flag of p % 2 === 0 ? [true, false] : [false, true]) {
        FiniteWatch.prototype.update = flag ? realUpdate : noop;
        (flag ? on : off).push(await graftSteps(trainer, probe, K));
      }
    }
  } finally {
    FiniteWatch.prototype.update = realUpdate;
    trainer.dispose();
  }
  const m = (xs: StepTimes[], k: 'wall' | 'cpu') => median(xs.flatMap((t) => t[k]));
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    model: `${c.nLayers} layers, width ${c.dModel}, context ${c.contextLength}, batch ${c.batchSize}`,
    stepsEach: pairs * K,
    stepMsOn: { wall: r(m(on, 'wall')), cpu: r(m(on, 'cpu')) },
    stepMsOff: { wall: r(m(off, 'wall')), cpu: r(m(off, 'cpu')) },
    diffMs: { wall: r(m(on, 'wall') - m(off, 'wall')), cpu: r(m(on, 'cpu') - m(off, 'cpu')) },
  };
}

const report = {
  backend: tf.getBackend(),
  updateAlone: { callsPerRound: N, rounds: 5, wallUsPerUpdate: Math.round(alone.wallUs * 10) / 10, cpuUsPerUpdate: Math.round(alone.cpuUs * 10) / 10 },
  micro: await inLoop(MICRO_CONFIG, 10),
  tiny: await inLoop(TINY_CONFIG, 4),
};
console.log(JSON.stringify(report, null, 2));
