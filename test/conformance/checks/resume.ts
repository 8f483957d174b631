import path from 'node:path';
import type { Trainer } from '../../../core/index.ts';
import { atEndOfStep } from '../afterEveryTap.ts';
import { Findings } from '../failure.ts';
import { differences, observe, observeState } from '../observe.ts';
import { disposeAll, lossDifferences, paramDifferences, paramValues, pluginOf, recordLosses, resolveSpec, type ConformanceSpec } from '../spec.ts';
import { withTempDir } from '../tempDir.ts';

/**
 * A run of N + N steps, saved at step N (at the end of the step, after every plugin; of the last
 * batch at step N if some batches skip the update), equals the run resumed from that checkpoint in
 * a fresh trainer and trained to 2N: the same
 *  - parameters and buffers, and losses of steps N+1..2N;
 *  - run position (step, epoch, batch in epoch, examples, tokens), metrics and random streams;
 *  - `getState()` of the plugin under test (JSON and tensors);
 *  - fields of the plugin under test (see `observe`): state kept outside `getState()`, say a
 *    running average, differs after a resume, whether or not it changes the parameters yet.
 */
export async function checkResumeState(spec: ConformanceSpec): Promise<void> {
  const r = resolveSpec(spec);
  const f = new Findings('a resumed run continues exactly, in parameters and in the plugin\'s state', r.name);
  const N = r.steps;
  const tol = r.tolerance;
  await withTempDir(async (tmp) => {
    const dir = path.join(tmp, 'ck');
    let straight: Trainer | undefined;
    let resumed: Trainer | undefined;
    try {
      straight = r.build(2 * N);
      const a = straight;
      const lossA = recordLosses(a);
      let saved = false;
      // Losses recorded up to the save: batches, which are more than N steps if some skip the update.
      let before = 0;
      // Saved after every batch at step N, so the checkpoint is the last of them: between two
      // updates (mid-cycle) when a plugin skips updates, as gradient accumulation does.
      atEndOfStep(a, 'conformance:save', async (ctx) => {
        if (ctx.state.step === N) {
          saved = true;
          before = lossA.length;
          await a.save(dir);
        }
      });
      await a.fit();
      f.expect(saved, `the straight run never reached step ${N} (stopped at ${a.state.step}: ${a.state.stopReason})`);
      if (!saved) return;
      resumed = r.build(2 * N);
      const b = resumed;
      await b.resume(dir);
      const lossB = recordLosses(b);
      await b.fit();
      for (const k of ['step', 'epoch', 'batchInEpoch', 'examples', 'tokens'] as const) {
        f.expect(a.state[k] === b.state[k], `state.${k} is ${a.state[k]} straight but ${b.state[k]} resumed`);
      }
      f.add(...lossDifferences(lossA.slice(before), lossB, tol, 'batches after the resume'));
      f.add(...paramDifferences(await paramValues(a), await paramValues(b), tol, 'straight vs resumed'));
      const opts = { tol, root: 'trainer' };
      f.add(...differences(await observe(a.state.metrics), await observe(b.state.metrics), { ...opts, root: 'state.metrics' }));
      f.add(...differences(await observe(a.rngState()), await observe(b.rngState()), { ...opts, root: 'trainer random streams' }));
      const pa = pluginOf(a, r);
      const pb = pluginOf(b, r);
      f.add(...differences(await observeState(pa.getState?.()), await observeState(pb.getState?.()), { tol, root: `${r.name} getState()`, ignore: r.ignoreFields }));
      f.add(...differences(await observe(pa), await observe(pb), { tol, root: r.name, ignore: r.ignoreFields }));
    } finally {
      disposeAll(straight, resumed);
    }
  });
  f.done();
}
