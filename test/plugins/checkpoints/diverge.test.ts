import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes, GraftError, createTrainer, firstNonFinite, readCheckpoint, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import { BEST_DIR, PeriodicCheckpoint, readLatest } from '../../../plugins/checkpoints/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

function lossRecorder(): GraftPlugin & { losses: { step: number; loss: number }[] } {
  const losses: { step: number; loss: number }[] = [];
  return {
    meta: { name: 'callback:loss-recorder', kind: 'callback' },
    losses,
    apply(t: TrainerApi) {
      t.tap('afterStep', this, async (ctx) => void losses.push({ step: ctx.state.step, loss: (await ctx.loss!.data())[0]! }), { stage: 'first' });
    },
  };
}

const fmt = (x: number) => (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-4 ? x.toExponential(5) : String(Number(x.toPrecision(6))));
const escape = (s: string) => s.replace(/[.+\\()[\]]/g, '\\$&');

// lr 1e3 diverges at step 4, a save step: the save notices (or, with evaluations, the evaluation
// before it); lr 30 at step 6, between saves every 5: the save at 10 notices, a check step too (the
// reported bug: the save ran before the check, pruned the good checkpoint and moved latest).
for (const { lr, every, checkFiniteEvery, evaluate } of [
  { lr: 1e3, every: 2, checkFiniteEvery: 50, evaluate: false },
  { lr: 1e3, every: 2, checkFiniteEvery: 50, evaluate: true },
  { lr: 30, every: 5, checkFiniteEvery: 5, evaluate: false },
]) {
  test(`a diverging run (lr ${lr}, saves every ${every}, keep 1, checks every ${checkFiniteEvery}${evaluate ? ', evaluations and best' : ''}) leaves the last good checkpoint as latest, intact; no NaN checkpoint anywhere`, async (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'graft-diverge-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const dir = path.join(root, 'checkpoints');
    const rec = lossRecorder();
    const tr = createTrainer({
      plugins: [
        new ToyModel(),
        new ToyObjective(),
        new ToySgd(lr),
        new ToyDataset({ batches: 4 }),
        ...(evaluate ? [new EvaluateCallback({ every })] : []),
        new PeriodicCheckpoint({ dir, every, keep: 1, best: evaluate }),
        rec,
      ],
      options: { seed: 1, epochs: 100, maxSteps: 120, checkFiniteEvery },
      logger: silentLogger(),
    });
    const e = await t.throwsAsync(() => tr.fit(), { instanceOf: GraftError });
    t.is(e!.code, ErrorCodes.NON_FINITE);
    const i = rec.losses.findIndex((l) => !Number.isFinite(l.loss));
    t.true(i > 0, `diverges after a finite start: ${rec.losses.map((l) => l.loss)}`);
    const bad = rec.losses[i]!;
    const last = rec.losses[i - 1]!;
    t.regex(e!.message, new RegExp(`the training loss became ${bad.loss} at step ${bad.step} \\(the last finite loss was ${escape(fmt(last.loss))}, at step ${last.step}\\)`));
    // Stopped at the first save, evaluation (every N, or at an epoch's end) or check after the loss went non-finite.
    t.true(tr.state.step >= bad.step && tr.state.step <= Math.ceil(bad.step / every) * every, `stopped at step ${tr.state.step}`);
    tr.dispose();

    // The last save before the divergence is latest, the only step folder left, and intact.
    const good = Math.floor((bad.step - 1) / every) * every;
    t.true(good > 0, 'the run saved before it diverged');
    t.deepEqual(readLatest(dir), { dir: `step-${good}`, step: good });
    t.deepEqual(readdirSync(dir).sort(), [...(evaluate ? [BEST_DIR] : []), 'latest.json', `step-${good}`], 'no other checkpoint, no temporary folder');
    for (const d of [`step-${good}`, ...(evaluate ? [BEST_DIR] : [])]) {
      const ck = readCheckpoint(path.join(dir, d)); // verifies checksums and finiteness, and throws otherwise
      for (const [n, a] of Object.entries(ck.params)) t.is(firstNonFinite(a.data), -1, `${d}: ${n}`);
      t.true(ck.manifest.state.step <= good, d);
    }
    const resumed = createTrainer({
      plugins: [new ToyModel(), new ToyObjective(), new ToySgd(0.1), new ToyDataset({ batches: 4 })],
      options: { seed: 1, epochs: 100 },
      logger: silentLogger(),
    });
    await resumed.resume(path.join(dir, `step-${good}`));
    t.is(resumed.state.step, good, 'the good checkpoint resumes');
    resumed.dispose();
  });
}
