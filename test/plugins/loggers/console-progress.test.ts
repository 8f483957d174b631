import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import {
  ConsoleProgressLogger,
  eta,
  formatCount,
  formatDuration,
  formatMetrics,
  formatMetricValue,
  formatProgressLine,
  epochBound,
  fractionDone,
  primaryRate,
  progressBar,
  throughput,
} from '../../../plugins/loggers/index.ts';
import { plannedSteps } from '../../../core/index.ts';

const totalSteps = (p: { maxSteps: number; maxEpochs: number; batchesPerEpoch: number }) => plannedSteps(p.maxSteps, p.maxEpochs, p.batchesPerEpoch);
import { toyPlugins } from '../../helpers/toy.ts';
import { readsAddedBy } from '../../helpers/tensorReads.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

function captureLogger(): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.printf((i) => String(i.message)),
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c).trimEnd()), cb()) }) })],
  });
  return { logger, lines };
}

/** Reads every step's loss (awaited) so the test can compare with what was printed. */
function lossProbe(): GraftPlugin & { losses: Map<number, number> } {
  const losses = new Map<number, number>();
  return {
    meta: { name: 'callback:loss-probe', kind: 'callback' },
    losses,
    apply(t: TrainerApi) {
      t.tap('afterStep', this, async (ctx) => void losses.set(ctx.state.step, (await ctx.loss!.data())[0]!));
    },
  };
}

test('formatDuration: two units at most, ? for unknown', (t) => {
  const cases: [number | undefined, string][] = [
    [0, '0s'],
    [44.6, '45s'],
    [59.4, '59s'],
    [59.6, '1m00s'],
    [187, '3m07s'],
    [3599.4, '59m59s'],
    [3600, '1h00m'],
    [7500, '2h05m'],
    [86400 + 4 * 3600 + 59, '1d04h'],
    [NaN, '?'],
    [-1, '?'],
    [Infinity, '?'],
    [undefined, '?'],
  ];
  for (const [s, want] of cases) t.is(formatDuration(s), want, String(s));
});

test('formatCount, progressBar, formatMetricValue', (t) => {
  t.deepEqual([12.34, 456, 1234, 3.4e6, 5.6e9, NaN].map(formatCount), ['12.3', '456', '1.2k', '3.4M', '5.6G', '?']);
  t.is(progressBar(0.5, 10), '[=====>    ]');
  t.is(progressBar(0, 4), '[>   ]');
  t.is(progressBar(1, 4), '[====]');
  t.is(progressBar(1.7, 4), '[====]');
  t.is(progressBar(0.99, 4), '[===>]');
  t.deepEqual([1.23456, 0, 1e-4, 123456, NaN].map(formatMetricValue), ['1.2346', '0.0000', '1.000e-4', '1.235e+5', 'NaN']);
});

test('formatProgressLine: bar, plain, omitted fields, cut to the terminal width', (t) => {
  const info = { step: 12, totalSteps: 40, fraction: 0.3, epoch: 0, epochs: 2, loss: 2.34567, tokensPerSecond: 1234, lr: 5e-4, etaSeconds: 187 };
  t.is(formatProgressLine(info, { barWidth: 10 }), 'step 12/40 [===>      ]  30% | epoch 1/2 | loss 2.3457 | 1.2k tok/s | lr 5.00e-4 | ETA 3m07s');
  t.is(formatProgressLine(info), 'step 12/40 (30%) | epoch 1/2 | loss 2.3457 | 1.2k tok/s | lr 5.00e-4 | ETA 3m07s');
  t.is(formatProgressLine({ step: 3, epoch: 4, epochs: 5 }), 'step 3 | epoch 5/5');
  // A run that a step limit ends before its epochs: no "epoch 1/1000".
  t.is(formatProgressLine({ step: 30, totalSteps: 250, epoch: 0, epochs: 1000, epochBound: false }), 'step 30/250');
  t.true(epochBound({ step: 0, epoch: 0, batchInEpoch: 0, maxSteps: 0, maxEpochs: 3, batchesPerEpoch: 10 }));
  t.true(epochBound({ step: 0, epoch: 0, batchInEpoch: 0, maxSteps: 30, maxEpochs: 3, batchesPerEpoch: 10 }));
  t.false(epochBound({ step: 0, epoch: 0, batchInEpoch: 0, maxSteps: 29, maxEpochs: 3, batchesPerEpoch: 10 }));
  t.false(epochBound({ step: 0, epoch: 0, batchInEpoch: 0, maxSteps: 250, maxEpochs: 1000, batchesPerEpoch: 500 }));
  t.is(formatProgressLine({ step: 40, totalSteps: 40, fraction: 1, epoch: 2, epochs: 2, loss: NaN }), 'step 40/40 (100%) | epoch 2/2 | loss NaN', 'no ETA when done; epoch never past the last');
  t.is(formatProgressLine(info, { barWidth: 10, maxWidth: 28 }), 'step 12/40 [===>      ]  30%');
});

test('totalSteps and fractionDone: by steps, by epochs, whichever ends first', (t) => {
  const base = { step: 0, epoch: 0, batchInEpoch: 0, maxSteps: 0, maxEpochs: 3, batchesPerEpoch: 10 };
  t.is(totalSteps(base), 30);
  t.is(totalSteps({ ...base, maxSteps: 12 }), 12);
  t.is(totalSteps({ ...base, maxSteps: 100 }), 30);
  t.is(totalSteps({ ...base, batchesPerEpoch: 0 }), undefined);
  t.is(totalSteps({ ...base, batchesPerEpoch: 0, maxSteps: 7 }), 7);
  t.is(fractionDone({ ...base, step: 15, epoch: 1, batchInEpoch: 5 }), 0.5);
  t.is(fractionDone({ ...base, step: 6, epoch: 0, batchInEpoch: 6, maxSteps: 12 }), 0.5);
  // Gradient accumulation: 2 batches a step; batches seen drive progress.
  t.is(fractionDone({ ...base, step: 3, epoch: 0, batchInEpoch: 6 }), 0.2);
  t.is(fractionDone({ ...base, epoch: 3 }), 1);
  t.is(fractionDone({ ...base, batchesPerEpoch: 0 }), undefined);
});

test('throughput, eta and primaryRate', (t) => {
  t.is(throughput(1000, 2), 500);
  t.is(throughput(5, 0), undefined);
  t.is(eta(0, 0.25, 10), 30);
  t.is(eta(0.5, 0.75, 10), 10, 'a resumed run measures its own pace');
  t.is(eta(0.5, 0.5, 10), undefined);
  t.is(eta(0, 0.5, 0), undefined);
  t.is(primaryRate({ embed: 1e-4, default: 1e-3 }), 1e-4);
  t.is(primaryRate({ default: 3e-4 }), 3e-4);
  t.is(primaryRate({}), undefined);
});

test('formatMetrics', (t) => {
  t.is(formatMetrics('validation', 40, { validation_loss: 1.23456, accuracy: 0.5 }), 'eval validation @ step 40: validation_loss 1.2346, accuracy 0.5000');
  t.is(formatMetrics('test', 0, {}), 'eval test @ step 0: (no metrics)');
});

test('lines mode: a log line every N steps with the step loss, evaluation metrics, a summary', async (t) => {
  const { logger, lines } = captureLogger();
  const probe = lossProbe();
  const stream = { isTTY: false, write: () => t.fail('nothing is drawn when the stream is not a terminal') };
  const progress = new ConsoleProgressLogger({ every: 3 }, { stream });
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), new EvaluateCallback(), progress, probe], options: { epochs: 2 }, logger });
  await tr.fit();
  t.false(progress.drawsBar);
  const steps = lines.filter((l) => l.startsWith('step '));
  t.is(steps.length, 2);
  for (const [i, step] of [3, 6].entries()) {
    const line = steps[i]!;
    t.true(line.startsWith(`step ${step}/8 (${Math.floor((step / 8) * 100)}%) | epoch ${step <= 4 ? 1 : 2}/2 | loss ${probe.losses.get(step)!.toFixed(4)} | `), line);
    t.regex(line, /\| [\d.]+k? tok\/s \| lr 5\.00e-1 \| ETA \d+s$/);
  }
  const evals = lines.filter((l) => l.startsWith('eval '));
  t.is(evals.length, 2);
  t.regex(evals[0]!, /^eval validation @ step 4: validation_loss \d\.\d{4}$/);
  t.regex(lines.at(-1)!, /^logger:console-progress: max-epochs after 8 steps in \d+s$/);
  tr.dispose();
});

test('bar mode: redrawn in place at most every everyMs, cleared for evaluation output, newline at the end', async (t) => {
  const writes: string[] = [];
  let clock = 0;
  const stream = { isTTY: true, columns: 100, write: (s: string) => void writes.push(s) };
  // Time advances 100 ms before every step.
  const ticker: GraftPlugin = { meta: { name: 'callback:tick', kind: 'callback' }, apply: (tr: TrainerApi) => tr.tap('beforeStep', 'callback:tick', () => void (clock += 100)) };
  const probe = lossProbe();
  const progress = new ConsoleProgressLogger({ everyMs: 250 }, { stream, now: () => clock });
  const { logger, lines } = captureLogger();
  const tr = createTrainer({
    plugins: [...toyPlugins({ batches: 4 }), ticker, new EvaluateCallback({ atEnd: false }), progress, probe],
    options: { epochs: 2 },
    logger,
  });
  await tr.fit();
  t.true(progress.drawsBar);
  const draws = writes.filter((w) => w.startsWith('\r\x1b[K') && w.length > 4);
  // Drawn at steps 1 (t=100), 4 (t=400), 7 (t=700), and once more at the end.
  t.deepEqual(draws.map((d) => /step (\d+)\//.exec(d)![1]), ['1', '4', '7', '8']);
  for (const d of draws) {
    t.false(d.includes('\n'));
    t.true(d.length - 4 <= 99, 'fits the terminal');
  }
  // 20 tokens a step: 80 tokens in 0.4 s at step 4; half done after 0.4 s, so 0.4 s left.
  t.is(draws[1], `\r\x1b[Kstep 4/8 [==========>         ]  50% | epoch 1/2 | loss ${probe.losses.get(4)!.toFixed(4)} | 200 tok/s | lr 5.00e-1 | ETA 0s`);
  t.is(writes.at(-1), '\n');
  // The epoch-end evaluation at step 4 cleared the bar before its line was logged.
  const i4 = writes.indexOf(draws[1]!);
  t.is(writes[i4 + 1], '\r\x1b[K');
  t.true(lines.some((l) => l.startsWith('eval validation @ step 4: validation_loss ')));
  tr.dispose();
});

// Serial: it counts tensor reads process-wide.
test.serial('reads the loss only on the steps it prints, and never synchronously', async (t) => {
  // Reads the logger adds to the trainer's own (its end-of-run finite check).
  const added = await readsAddedBy(() => [new ConsoleProgressLogger({ mode: 'lines', every: 3 })]);
  t.is(added.async, 2, 'steps 3 and 6');
  t.is(added.sync, 0);
});

test('bad options name the option', (t) => {
  t.throws(() => new ConsoleProgressLogger({ every: 0 }), { message: /logger:console-progress.*option "every".*>= 1/ });
  t.throws(() => new ConsoleProgressLogger({ everyMs: -5 }), { message: /option "everyMs".*>= 0/ });
  t.throws(() => new ConsoleProgressLogger({ mode: 'tty' as 'bar' }), { message: /option "mode".*one of auto, bar, lines/ });
  t.throws(() => new ConsoleProgressLogger({ barWidth: 2.5 }), { message: /option "barWidth".*integer/ });
  t.throws(() => new ConsoleProgressLogger({ interval: 3 } as object), { message: /option "interval".*unknown option/ });
});
