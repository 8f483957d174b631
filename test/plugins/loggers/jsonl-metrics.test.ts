import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreResources, createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import { evalRecord, JsonlMetricsLogger, toJsonLine, trainRecord } from '../../../plugins/loggers/index.ts';
import { toyPlugins } from '../../helpers/toy.ts';
import { readsAddedBy } from '../../helpers/tensorReads.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-jsonl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function readLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Records each step's loss and each evaluation's metrics, to compare with the file. */
function probe(): GraftPlugin & { losses: Map<number, number>; evals: Map<number, Record<string, number>> } {
  const losses = new Map<number, number>();
  const evals = new Map<number, Record<string, number>>();
  return {
    meta: { name: 'callback:probe', kind: 'callback' },
    losses,
    evals,
    apply(t: TrainerApi) {
      t.tap('afterStep', this, async (ctx) => void losses.set(ctx.state.step, (await ctx.loss!.data())[0]!));
      t.tap('afterEval', this, (m, ctx) => (evals.set(ctx.state.step, { ...m }), m), { stage: 'observe' });
    },
  };
}

test('records: field order, clashing metric names, NaN as null', (t) => {
  const r = trainRecord({ time: 5, tokens: 40, lr: 0.1, loss: 2, epoch: 0, step: 2 });
  t.is(toJsonLine(r), '{"type":"train","step":2,"epoch":0,"loss":2,"lr":0.1,"tokens":40,"time":5}\n');
  t.deepEqual(evalRecord(4, 1, 'validation', 7, { validation_loss: 1.5, step: 99 }), {
    type: 'eval',
    step: 4,
    epoch: 1,
    split: 'validation',
    time: 7,
    validation_loss: 1.5,
    'metric.step': 99,
  });
  t.is(toJsonLine({ loss: NaN }), '{"loss":null}\n');
});

test('a toy run writes train lines every N steps and eval lines, parseable and consistent', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'sub', 'metrics.jsonl');
  const p = probe();
  const before = Date.now() / 1000;
  const tr = createTrainer({
    plugins: [...toyPlugins({ batches: 4 }), new EvaluateCallback({ every: 3 }), new JsonlMetricsLogger({ file, every: 2 }), p],
    options: { epochs: 2 },
    logger: silentLogger(),
  });
  await tr.fit();
  const lines = readLines(file);
  const train = lines.filter((l) => l.type === 'train');
  const evals = lines.filter((l) => l.type === 'eval');
  t.deepEqual(train.map((l) => l.step), [2, 4, 6, 8]);
  for (const l of train) {
    const step = l.step as number;
    t.true(Number.isFinite(l.loss), `loss at ${step}`);
    t.is(l.loss, p.losses.get(step), `loss at ${step} is the step's loss`);
    t.is(l.lr, 0.5);
    t.is(l.tokens, step * 20, '4 × 5 tokens a step');
    t.is(l.epoch, step <= 4 ? 0 : 1);
    t.true((l.time as number) >= before - 1 && (l.time as number) <= Date.now() / 1000 + 1);
    t.deepEqual(Object.keys(l), ['type', 'step', 'epoch', 'loss', 'lr', 'tokens', 'time']);
  }
  // Evaluations at 3, 4 (epoch end), 6, 8 (epoch end).
  t.deepEqual(evals.map((l) => l.step), [3, 4, 6, 8]);
  for (const l of evals) {
    t.is(l.split, 'validation');
    t.is(l.validation_loss, p.evals.get(l.step as number)!.validation_loss);
    t.true(Number.isFinite(l.validation_loss));
  }
  const steps = lines.map((l) => l.step as number);
  t.deepEqual(steps, [...steps].sort((a, b) => a - b), 'steps never go back within a run');
  tr.dispose();
});

test('appends: a second run keeps the lines of the first', async (t) => {
  const file = path.join(tempDir(t), 'm.jsonl');
  for (let run = 0; run < 2; run++) {
    const tr = createTrainer({ plugins: [...toyPlugins({ batches: 2 }), new JsonlMetricsLogger({ file, every: 1 })], options: { epochs: 1 }, logger: silentLogger() });
    await tr.fit();
    tr.dispose();
  }
  t.deepEqual(readLines(file).map((l) => l.step), [1, 2, 1, 2]);
});

test('buffered: written at epoch ends (and when flushEvery lines wait), not every step', async (t) => {
  const file = path.join(tempDir(t), 'm.jsonl');
  const seen: number[] = [];
  const watcher: GraftPlugin = {
    meta: { name: 'callback:watch', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('beforeStep', this, () => void seen.push(readLines(file).length));
    },
  };
  const tr = createTrainer({
    plugins: [...toyPlugins({ batches: 4 }), new JsonlMetricsLogger({ file, every: 1, flushEvery: 3 }), watcher],
    options: { epochs: 2 },
    logger: silentLogger(),
  });
  await tr.fit();
  // Lines in the file before each of the 8 steps: 3 once three wait, 4 at the epoch end, 7 at the next three.
  t.deepEqual(seen, [0, 0, 0, 3, 4, 4, 4, 7]);
  t.is(readLines(file).length, 8, 'the rest at the end of the run');
  tr.dispose();
});

test('flushed when the run fails', async (t) => {
  const file = path.join(tempDir(t), 'm.jsonl');
  const failing: GraftPlugin = {
    meta: { name: 'callback:fail', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('beforeStep', this, (ctx) => {
        if (ctx.state.step === 3) throw new Error('boom');
      });
    },
  };
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 8 }), new JsonlMetricsLogger({ file, every: 1 }), failing], options: { epochs: 1 }, logger: silentLogger() });
  await t.throwsAsync(() => tr.fit(), { message: 'boom' });
  // The 4th step fails before it starts: the three finished ones are in the file, though none was flushed yet.
  t.deepEqual(readLines(file).map((l) => l.step), [1, 2, 3]);
  tr.dispose();
});

test('defaults to <run folder>/metrics.jsonl; without one the run fails naming the option', async (t) => {
  const runDir = tempDir(t);
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 2 }), new JsonlMetricsLogger({ every: 1 })], options: { epochs: 1 }, logger: silentLogger() });
  tr.resources.set(CoreResources.runDir, runDir);
  await tr.fit();
  t.is(readLines(path.join(runDir, 'metrics.jsonl')).length, 2);
  tr.dispose();

  const bare = createTrainer({ plugins: [...toyPlugins(), new JsonlMetricsLogger()], options: { epochs: 1 }, logger: silentLogger() });
  await t.throwsAsync(() => bare.fit(), { message: /plugin "logger:jsonl-metrics", option "file": has no file to write to/ });
  bare.dispose();
});

// Serial: it counts tensor reads process-wide.
test.serial('reads the loss only on the steps it writes, and never synchronously', async (t) => {
  const file = path.join(tempDir(t), 'm.jsonl');
  // Reads the logger adds to the trainer's own (its end-of-run finite check).
  const added = await readsAddedBy(() => [new JsonlMetricsLogger({ file, every: 4 })]);
  t.is(added.async, 2, 'steps 4 and 8');
  t.is(added.sync, 0);
});

test('bad options name the option', (t) => {
  t.throws(() => new JsonlMetricsLogger({ every: 0 }), { message: /logger:jsonl-metrics.*option "every".*>= 1/ });
  t.throws(() => new JsonlMetricsLogger({ flushEvery: 0 }), { message: /option "flushEvery".*>= 1/ });
  t.throws(() => new JsonlMetricsLogger({ file: 3 as unknown as string }), { message: /option "file".*a string/ });
  t.throws(() => new JsonlMetricsLogger({ path: 'x' } as object), { message: /option "path".*unknown option/ });
});

test('a resumed run cuts the file back to the checkpoint\'s lines: no repeated steps, no torn line', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'm.jsonl');
  const ck = path.join(dir, 'ck');
  const build = (maxSteps: number, f = file, logger = true) =>
    createTrainer({
      plugins: [...toyPlugins({ batches: 8 }), new EvaluateCallback({ every: 3, atEpochEnd: false, atEnd: false }), ...(logger ? [new JsonlMetricsLogger({ file: f, every: 1, flushEvery: 100 })] : [])],
      options: { epochs: 1, maxSteps, seed: 3 },
      logger: silentLogger(),
    });
  const strip = (l: Record<string, unknown>) => ({ ...l, time: 0 });
  // Uninterrupted: 6 steps.
  const whole = build(6, path.join(dir, 'whole.jsonl'));
  await whole.fit();
  whole.dispose();
  // An attempt saves at step 4 (its buffered lines reach the file first), goes on, and dies mid-write.
  const first = build(4, path.join(dir, 'first.jsonl'));
  await first.fit();
  await first.save(ck);
  first.dispose();
  const saved = readLines(path.join(dir, 'first.jsonl')).length;
  t.deepEqual(JSON.parse(readFileSync(path.join(ck, 'manifest.json'), 'utf8')).plugins['logger:jsonl-metrics'].state, { lines: saved });
  // The file of the run: what the checkpoint saw, then an abandoned step 5 and half a line.
  const abandoned = readFileSync(path.join(dir, 'first.jsonl'), 'utf8') + toJsonLine(trainRecord({ step: 5, epoch: 0, loss: 1, lr: 0.5, tokens: 100, time: 1 })) + '{"type":"tr';
  writeFileSync(file, abandoned);
  const resumed = build(6);
  await resumed.resume(ck);
  t.is(readLines(file).length, saved, 'cut back when the checkpoint loaded');
  await resumed.fit();
  resumed.dispose();
  t.deepEqual(readLines(file).map(strip), readLines(path.join(dir, 'whole.jsonl')).map(strip));
  t.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file left');

  // A checkpoint written without the logger: the records past its step are dropped.
  const without = build(4, undefined, false);
  await without.fit();
  await without.save(path.join(dir, 'ck-without'));
  without.dispose();
  writeFileSync(file, abandoned);
  const r2 = build(6);
  await r2.resume(path.join(dir, 'ck-without'));
  t.deepEqual(readLines(file).map((l) => l.step), readLines(path.join(dir, 'first.jsonl')).map((l) => l.step));
  r2.dispose();
});
