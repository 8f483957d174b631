/**
 * A multi-stage run (ULMFiT, tiny) stopped by SIGINT in stage 1 exits 130 without starting stage
 * 2; the same command then resumes stage 1 from its checkpoint and runs stages 2 and 3 on the
 * fully trained stage 1: every stage's result and metrics.jsonl equal those of an uninterrupted run.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { selectBackend, silentLogger, type GraftPlugin } from '../../core/index.ts';
import { cellDir, configure, recipePreset, runPreset, transferVsScratchPreset } from '../../presets/index.ts';
import { InterruptedError, Interruption } from '../../presets/runner/interrupt.ts';
import { graft, latestStep, metricsRecords, resultOf, when } from './child.ts';

// test/presets/ulmfit3stage.test.ts's sizes, with a stage 1 long enough (checkpoint every 30 steps,
// 570 left after the first) that the signal lands mid-stage even on a fast, loaded machine (300 was
// not enough in CI on 2026-12-05: twice the signal arrived after step 300 of 300).
const LM_STEPS = 600;
const SETS = [
  'lm.sources=npm:moby-dick', 'lm.maxChars=120000', `lm.steps=${LM_STEPS}`, 'lm.seqLen=16', 'lm.batchSize=8', 'target.steps=4',
  'target.maxChars=60000', 'vocab.maxSize=400', 'vocab.minFreq=2', 'model.embSize=8', 'model.hiddenSize=16', 'model.nLayers=2',
  'task.trainSize=40', 'task.maxLen=24', 'task.batchSize=8', 'task.epochs=4', 'task.minSteps=0', 'task.maxSteps=0', 'task.validate=false',
].flatMap((s) => ['--set', s]);
const STAGES = ['general-lm', 'target-lm', 'classifier'];
const runArgs = (out: string) => ['run', 'ulmfit-3-stage', ...SETS, '--out', out, '--quiet'];

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-faults-ulmfit-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

test('SIGINT in stage 1: exit 130, stage 2 never starts; the same command finishes all three as an uninterrupted run', async (t) => {
  const refOut = path.join(tmp, 'reference');
  const reference = graft(runArgs(refOut)).exited;
  const out = path.join(tmp, 'stopped');
  const ck = path.join(out, 'general-lm', 'checkpoints');
  const c = graft(runArgs(out));
  t.true(await when(c, out, () => latestStep(ck) >= 30), 'stage 1 reached its first checkpoint');
  c.proc.kill('SIGINT');
  const exit = await c.exited;
  t.is(exit.code, 130, exit.stderr);
  const step = Number(/stage general-lm: stopped by SIGINT at step (\d+)/.exec(exit.stderr)?.[1]);
  t.true(step >= 30 && step < LM_STEPS, exit.stderr);
  t.false(existsSync(path.join(out, 'general-lm', 'result.json')), 'stage 1 is not marked complete');
  t.false(existsSync(path.join(out, 'target-lm')), 'stage 2 never started');
  t.false(existsSync(path.join(out, 'classifier')), 'stage 3 never started');

  const again = await graft(runArgs(out)).exited;
  t.is(again.code, 0, again.stderr);
  const ref = await reference;
  t.is(ref.code, 0, ref.stderr);
  for (const stage of STAGES) {
    t.deepEqual(resultOf(path.join(out, stage, 'result.json')), resultOf(path.join(refOut, stage, 'result.json')), `${stage} result.json`);
    t.deepEqual(metricsRecords(path.join(out, stage, 'metrics.jsonl')), metricsRecords(path.join(refOut, stage, 'metrics.jsonl')), `${stage} metrics.jsonl`);
  }
  t.is((resultOf(path.join(out, 'general-lm', 'result.json')) as { steps: number }).steps, LM_STEPS);
});

test('an experiment (transfer-vs-scratch) stopped inside a cell resumes inside that cell; the table equals an uninterrupted run', async (t) => {
  await selectBackend({ prefer: 'wasm' });
  const preset = recipePreset(configure(transferVsScratchPreset, { set: {
    'lm.sources': ['npm:moby-dick'], 'lm.maxChars': 60_000, 'lm.steps': 3, 'lm.seqLen': 16, 'lm.batchSize': 8, 'target.steps': 3,
    'target.maxChars': 30_000, 'vocab.maxSize': 300, 'model.embSize': 8, 'model.hiddenSize': 12, 'model.nLayers': 2, 'task.maxLen': 16,
    'task.batchSize': 8, 'task.epochs': 3, 'task.minSteps': 0, 'task.maxSteps': 0, 'task.validate': false, sizes: [8], seeds: [1],
  } }));
  const refOut = path.join(tmp, 'tvs-reference');
  await runPreset(preset, {}, 3, { outDir: refOut, logger: silentLogger() });
  const out = path.join(tmp, 'tvs-stopped');
  const cell = path.join(out, cellDir(8, 1));
  const interrupt = new Interruption();
  // Stands in for Ctrl-C: asks to stop during step 2 of the transfer classifier.
  const ctrlC = (): GraftPlugin => ({
    meta: { name: 'callback:ctrl-c', kind: 'callback' },
    apply: (tr) => tr.tap('afterStep', 'callback:ctrl-c', (ctx) => void (ctx.state.step === 2 && interrupt.request('SIGINT'))),
  });
  const stopped = await t.throwsAsync(
    runPreset(preset, {}, 3, { outDir: out, logger: silentLogger(), interrupt, extraPlugins: (dir) => (dir === path.join(cell, 'transfer') ? [ctrlC()] : []) }),
  );
  t.true(stopped instanceof InterruptedError && stopped.exitCode === 130, String(stopped));
  t.true(existsSync(path.join(cell, 'scratch', 'result.json')));
  t.false(existsSync(path.join(cell, 'transfer', 'result.json')));
  t.is(latestStep(path.join(cell, 'transfer', 'checkpoints')), 2);
  t.false(existsSync(path.join(out, 'results.json')));
  let log = '';
  const logger = winston.createLogger({
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => void ((log += String(chunk)), done()) }) })],
  });
  await runPreset(preset, {}, 3, { outDir: out, logger });
  t.regex(log, /stage general-lm: already complete/);
  t.regex(log, /stage scratch: already complete/);
  t.regex(log, /stage transfer: resuming from step 2 of /);
  t.deepEqual(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')), JSON.parse(readFileSync(path.join(refOut, 'results.json'), 'utf8')));
  t.false(existsSync(path.join(cell, 'transfer', 'checkpoints')), 'the resume checkpoints the runner added are gone once the stage is complete');
});
