/**
 * A training loop whose steps do no I/O still lets the event loop run (Trainer.fit yields every
 * 200 ms): a timer, or a signal handler asking the run to stop after the current step, fires during
 * the run, not after its last step.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../core/index.ts';
import { toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** Stops the run at the end of a step once `requested` is set, as a signal handler would ask. */
class StopWhenAsked implements GraftPlugin {
  readonly meta = { name: 'callback:stop-when-asked', kind: 'callback' } as const;
  requested = false;
  apply(t: TrainerApi): void {
    t.tap('afterStep', this, (ctx) => {
      if (this.requested) ctx.control.stopRun('asked');
    });
  }
}

test('a timer set before fit fires during the run, and a stop it asks for ends the run early', async (t) => {
  const stop = new StopWhenAsked();
  const trainer = createTrainer({ plugins: [...toyPlugins({ batches: 8 }), stop], options: { epochs: 2000, seed: 1 }, logger: silentLogger() });
  await trainer.setup();
  let firedAt = -1;
  const started = performance.now();
  // A macrotask, like the handler node runs for SIGINT: it needs the event loop.
  setTimeout(() => {
    firedAt = trainer.state.step;
    stop.requested = true;
  }, 20);
  const res = await trainer.fit();
  const ms = performance.now() - started;
  t.true(firedAt > 0, `the timer fired at step ${firedAt}`);
  t.is(res.stopReason, 'asked');
  // Stopped at the end of the step after the timer fired, long before 16,000 steps.
  t.is(res.state.step, firedAt + 1);
  t.true(res.state.step < 16_000);
  t.log(`timer at step ${firedAt} after ${ms.toFixed(0)} ms of training`);
  trainer.dispose();
});

/** Records which trainer ran each step, to see the two runs interleave. */
class StepLog implements GraftPlugin {
  readonly meta = { name: 'callback:step-log', kind: 'callback' } as const;
  constructor(private readonly id: string, private readonly log: string[]) {}
  apply(t: TrainerApi): void {
    t.tap('afterStep', this, () => void this.log.push(this.id));
  }
}

const weights = (t: TrainerApi) => t.params.names().map((n) => Array.from(t.params.get(n).dataSync()));

// Serial: the other tests' trainers would interleave too.
test.serial('two trainers fitting at once interleave their steps, and each ends with the weights it has alone', async (t) => {
  const make = (seed: number, log: string[] = []) =>
    createTrainer({ plugins: [...toyPlugins({ batches: 8 }), new StepLog(String(seed), log)], options: { epochs: 40, seed }, logger: silentLogger() });
  const alone = [];
  for (const seed of [1, 2]) {
    const tr = make(seed);
    await tr.fit();
    alone.push(weights(tr));
    tr.dispose();
  }
  const log: string[] = [];
  const [a, b] = [make(1, log), make(2, log)];
  await Promise.all([a.fit(), b.fit()]);
  const switches = log.filter((id, i) => i > 0 && id !== log[i - 1]).length;
  t.true(switches >= 2, `the runs took turns ${switches} times in ${log.length} steps`);
  t.log(`took turns ${switches} times in ${log.length} steps`);
  t.deepEqual(weights(a), alone[0]);
  t.deepEqual(weights(b), alone[1]);
  t.notDeepEqual(alone[0], alone[1]);
  a.dispose();
  b.dispose();
});

test.serial('an evaluation over many batches lets a timer fire before it ends', async (t) => {
  let batches = 0;
  const counter: GraftPlugin = {
    meta: { name: 'callback:eval-counter', kind: 'callback' },
    apply: (tr: TrainerApi) => tr.tap('evalBatch', 'callback:eval-counter', () => void batches++),
  };
  const trainer = createTrainer({ plugins: [...toyPlugins({ batches: 4000 }), counter], options: { epochs: 1, seed: 1 }, logger: silentLogger() });
  await trainer.setup();
  let firedAt = -1;
  setTimeout(() => void (firedAt = batches), 20);
  await trainer.evaluate('train');
  t.true(batches > 0);
  t.true(firedAt >= 0 && firedAt < batches, `the timer fired after ${firedAt} of ${batches} evaluation batches`);
  t.log(`timer after ${firedAt} of ${batches} batches`);
  trainer.dispose();
});
