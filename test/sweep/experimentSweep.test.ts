/**
 * An experiment as a sweep: transfer-vs-scratch's language model is one job, then each cell is a
 * job of its own, submitted together; the worker rebuilds a cell's stages from the experiment
 * itself. The tables the sweep writes at the end equal those of graft run's runner.
 */
import test from 'ava';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selectBackend, silentLogger } from '../../core/index.ts';
import { JsonlMetricsLogger } from '../../plugins/loggers/index.ts';
import { cellDir, configure, recipePreset, runPreset, transferVsScratchPreset } from '../../presets/index.ts';
import { FileQueue, planSweep, runSweep, runSweepJob, workLoop } from '../../presets/sweep/index.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-sweep-exp-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

// test/faults/multiStage.test.ts's tiny transfer-vs-scratch, with two cells.
const recipe = configure(transferVsScratchPreset, { set: {
  'lm.sources': ['npm:moby-dick'], 'lm.maxChars': 60_000, 'lm.steps': 3, 'lm.seqLen': 16, 'lm.batchSize': 8, 'target.steps': 3,
  'target.maxChars': 30_000, 'vocab.maxSize': 300, 'model.embSize': 8, 'model.hiddenSize': 12, 'model.nLayers': 2, 'task.maxLen': 16,
  'task.batchSize': 8, 'task.epochs': 3, 'task.minSteps': 0, 'task.maxSteps': 0, 'task.validate': false, sizes: [8], seeds: [1, 2],
} });

test.serial('transfer-vs-scratch as a sweep: a job for the language model, one per cell; the same tables as graft run', async (t) => {
  await selectBackend({ prefer: 'wasm' });
  const extraPlugins = (d: string) => [new JsonlMetricsLogger({ file: path.join(d, 'metrics.jsonl') })];
  const ref = path.join(tmp, 'run');
  await runPreset(recipePreset(recipe), {}, 42, { outDir: ref, logger: silentLogger(), extraPlugins });

  const dir = path.join(tmp, 'sweep');
  const queue = new FileQueue(dir, { pollMs: 50 });
  const submitted: string[] = [];
  const sweep = runSweep({ recipe, dir, queue, pollMs: 50, log: (m) => void submitted.push(m) }, planSweep({ recipe, seed: 42 }));
  let done = false;
  void sweep.finally(() => (done = true)).catch(() => {});
  // One worker in this process, until the sweep has written its tables.
  const worker = (async () => {
    while (!done) {
      await workLoop(queue, (ctx) => runSweepJob(ctx, { sharedDir: dir }), { name: 'test', timing: { pollMs: 50 } });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const summary = await sweep;
  await worker;
  t.deepEqual(submitted.filter((m) => / added$/.test(m)).map((m) => m.split(':')[0]), ['lm', cellDir(8, 1), cellDir(8, 2)]);
  t.is(summary.runs.length, 1);
  t.is(summary.runs[0]!.jobs.length, 3);
  for (const f of ['results.json', 'results.md']) t.is(readFileSync(path.join(dir, f), 'utf8'), readFileSync(path.join(ref, f), 'utf8'), f);
  const cells = (await queue.counts()).completed;
  t.is(cells, 3);
});
