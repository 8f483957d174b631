import { checkEvaluate } from './checks/evaluate.ts';
import { checkLoadWithoutPlugin } from './checks/loadWithout.ts';
import { checkResumeState } from './checks/resume.ts';
import { checkSaveLoadState } from './checks/saveLoad.ts';
import { checkTrainsWithoutLeak } from './checks/train.ts';
import { resolveSpec, type ConformanceSpec } from './spec.ts';
import type { ConformanceTestFn } from './testFn.ts';

/** One check of the suite: a title, and an async function that throws a `ConformanceFailure` listing what broke. */
export interface ConformanceCheck {
  title: string;
  run: (spec: ConformanceSpec) => Promise<void>;
}

/** The checks `pluginConformance` registers, in order; each is also exported to run on its own. */
export function conformanceChecks(spec: ConformanceSpec): ConformanceCheck[] {
  const checks: ConformanceCheck[] = [
    { title: 'trains without leaking tensors, and frees them on dispose', run: checkTrainsWithoutLeak },
    { title: "save and load restore the plugin's state", run: checkSaveLoadState },
    { title: "a resumed run continues exactly, in parameters and in the plugin's state", run: checkResumeState },
    { title: 'evaluation during and after training leaves training as it was', run: checkEvaluate },
  ];
  if (spec.without !== false) {
    checks.push({ title: 'continues from a checkpoint written without the plugin', run: checkLoadWithoutPlugin });
  }
  return checks;
}

/**
 * The suite every plugin goes through, Graft's own and third parties' alike. It builds, trains,
 * evaluates, saves, loads and resumes a small recipe containing the plugin (toy model, 2 steps a
 * phase by default) and checks what a plugin's author cannot easily see:
 *
 *  1. `checkTrainsWithoutLeak`: the recipe trains, the loss stays finite, the tensors alive besides
 *     plugin state (`getState()` tensors) are as many after every batch, `getState()` allocates
 *     nothing, and dispose frees every tensor.
 *  2. `checkSaveLoadState`: save → load into a fresh trainer gives an equal `getState()`.
 *  3. `checkResumeState`: N + N steps straight equal N steps, save, resume in a fresh trainer, N
 *     steps: the same parameters, losses, run position, metrics, random streams, and the same
 *     state of the plugin: its `getState()` AND its own fields (`spec.ignoreFields` for fields that
 *     describe the process, not the training). A plugin keeping a running average outside
 *     `getState()` fails here even if the parameters do not show it yet.
 *  4. `checkEvaluate`: `trainer.evaluate()` during training (after step N) and after it returns
 *     finite metrics, the same twice in a row, leaves parameters bit-identical, does not leak across
 *     evaluations, and a run with an evaluation in the middle trains exactly as one without (same
 *     parameters, losses and random streams).
 *  5. `checkLoadWithoutPlugin`: the plugin added to a run that continues from a checkpoint written
 *     without it (`resume()` and `load()`) does not throw and trains on (core calls no `setState`
 *     for a plugin the checkpoint does not name). Skipped with `spec.without: false`.
 *
 * Every temporary folder is removed, even when a check fails. Each check throws a
 * `ConformanceFailure` (a `GraftError` naming the plugin and listing every problem found), so a
 * plugin's own tests can also call one directly: `await checkResumeState({ make })`.
 *
 * Use: `import test from 'ava'; pluginConformance(test, { make: () => new MyPlugin() })`. Any
 * runner with `test.serial(title, fn)` and `t.notThrowsAsync(promise)` will do (see `ConformanceTestFn`).
 * The tests are serial: they count tensors.
 */
export function pluginConformance(test: ConformanceTestFn, spec: ConformanceSpec): void {
  const { title } = resolveSpec(spec);
  for (const check of conformanceChecks(spec)) {
    test.serial(`${title} conformance: ${check.title}`, async (t) => {
      await t.notThrowsAsync(check.run(spec));
    });
  }
}
