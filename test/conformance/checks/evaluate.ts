import type { Metrics, Trainer } from '../../../core/index.ts';
import { atEndOfStep } from '../afterEveryTap.ts';
import { Findings } from '../failure.ts';
import { disposeAll, lossDifferences, numTensors, paramDifferences, paramValues, recordLosses, resolveSpec, type ConformanceSpec } from '../spec.ts';

/**
 * `trainer.evaluate()` with the plugin in the recipe, in the middle of training (at the end of
 * step N) and after it:
 *  - metrics are finite numbers, there is at least one, and two evaluations in a row agree (no
 *    drift from state an evaluation leaves behind, such as a random stream not reset);
 *  - parameters and buffers are identical before and after each evaluation (whatever a plugin
 *    swaps in for evaluation, it swaps back);
 *  - two evaluations in a row leave the tensor count where the first left it (no leak);
 *  - training is unchanged: 2N steps with an evaluation after step N end with the same parameters,
 *    losses and random streams as 2N steps without (evaluation draws no training randomness,
 *    leaves no mode on).
 */
export async function checkEvaluate(spec: ConformanceSpec): Promise<void> {
  const r = resolveSpec(spec);
  const f = new Findings('evaluation leaves training as it was', r.name);
  const N = r.steps;
  let withEval: Trainer | undefined;
  let plain: Trainer | undefined;
  const evaluateTwice = async (tr: Trainer, when: string): Promise<void> => {
    const before = await paramValues(tr);
    const metrics: Metrics[] = [];
    metrics.push(await tr.evaluate(r.evalSplit));
    const afterFirst = numTensors();
    metrics.push(await tr.evaluate(r.evalSplit));
    const afterSecond = numTensors();
    f.expect(afterSecond === afterFirst, `evaluating ${when} leaks ${afterSecond - afterFirst} tensors per evaluation`);
    f.add(...paramDifferences(before, await paramValues(tr), 0, `before vs after evaluating ${when}`));
    for (const m of metrics) {
      f.expect(Object.keys(m).length > 0, `evaluating ${when} returned no metrics (does split "${r.evalSplit}" have batches?)`);
      for (const [k, v] of Object.entries(m)) f.expect(typeof v === 'number' && Number.isFinite(v), `metric ${k} is ${v} evaluating ${when}`);
    }
    f.expect(JSON.stringify(metrics[0]) === JSON.stringify(metrics[1]), () => `two evaluations ${when} in a row differ: ${JSON.stringify(metrics[0])} vs ${JSON.stringify(metrics[1])}`);
  };
  try {
    withEval = r.build(2 * N);
    const a = withEval;
    const lossA = recordLosses(a);
    let evaluated = false;
    atEndOfStep(a, 'conformance:evaluate', async (ctx) => {
      if (ctx.state.step !== N || evaluated) return;
      evaluated = true;
      await evaluateTwice(a, `during training (step ${N})`);
    });
    await a.fit();
    f.expect(evaluated, `training never reached step ${N}`);
    await evaluateTwice(a, 'after training');
    plain = r.build(2 * N);
    const lossB = recordLosses(plain);
    await plain.fit();
    f.add(...lossDifferences(lossB, lossA, r.tolerance, 'run without vs with an evaluation at step ' + N));
    f.add(...paramDifferences(await paramValues(plain), await paramValues(a), r.tolerance, `run without vs with an evaluation at step ${N}`));
    const [ra, rb] = [JSON.stringify(plain.rngState()), JSON.stringify(a.rngState())];
    f.expect(ra === rb, `the trainer's random streams are ${ra} without but ${rb} with an evaluation at step ${N}: evaluation draws training randomness`);
  } finally {
    disposeAll(withEval, plain);
  }
  f.done();
}
