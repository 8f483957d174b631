import path from 'node:path';
import { Findings } from '../failure.ts';
import { differences, observeState } from '../observe.ts';
import { disposeAll, pluginOf, resolveSpec, type ConformanceSpec } from '../spec.ts';
import { withTempDir } from '../tempDir.ts';

/** Save after N steps, load into a fresh trainer: the plugin's `getState()` and the run position are equal. */
export async function checkSaveLoadState(spec: ConformanceSpec): Promise<void> {
  const r = resolveSpec(spec);
  const f = new Findings("save and load restore the plugin's state", r.name);
  await withTempDir(async (tmp) => {
    const dir = path.join(tmp, 'ck');
    const a = r.build(r.steps);
    let b;
    try {
      await a.fit();
      await a.save(dir);
      b = r.build(r.steps);
      await b.load(dir);
      const sa = await observeState(pluginOf(a, r).getState?.());
      const sb = await observeState(pluginOf(b, r).getState?.());
      f.add(...differences(sa, sb, { tol: 0, root: 'getState()', names: ['saved', 'loaded'] }));
      for (const k of ['step', 'epoch', 'batchInEpoch', 'examples', 'tokens'] as const) {
        f.expect(a.state[k] === b.state[k], `state.${k} is ${a.state[k]} saved but ${b.state[k]} loaded`);
      }
    } finally {
      disposeAll(a, b);
    }
  });
  f.done();
}
