import path from 'node:path';
import type { GraftPlugin, PluginState, Trainer } from '../../../core/index.ts';
import { Findings } from '../failure.ts';
import { numTensors, pluginOf, recordLosses, resolveSpec, type ConformanceSpec } from '../spec.ts';
import { withTempDir } from '../tempDir.ts';

/**
 * The plugin is added to a run that continues from a checkpoint written WITHOUT it: a recipe of
 * `spec.without` (by default the same recipe minus the plugin) trains N steps and saves; the
 * recipe with the plugin then `resume()`s that checkpoint and trains N more, and another one
 * `load()`s it after setup and trains N more. Neither throws, the losses stay finite, the step
 * count continues from N, and disposing frees every tensor.
 *
 * What core does (core/checkpoint/loadCheckpoint.ts): plugin state is restored by name from the
 * manifest, and a plugin the checkpoint does not name is skipped, so its `setState` is NOT called
 * and it keeps the state its setup gave it. (A plugin the checkpoint names but that saved nothing
 * gets `setState({ json: undefined, tensors: {} })`.) The check accepts either: no call, or a call
 * with an empty state.
 */
export async function checkLoadWithoutPlugin(spec: ConformanceSpec): Promise<void> {
  const r = resolveSpec(spec);
  const f = new Findings('continues from a checkpoint written without the plugin', r.name);
  const N = r.steps;
  const start = numTensors();
  await withTempDir(async (tmp) => {
    const dir = path.join(tmp, 'ck');
    const w = r.buildWithout(N);
    if (!w) throw new Error(`conformance: ${r.name} has no recipe without it (spec.without is false)`);
    try {
      await w.fit();
      await w.save(dir);
    } catch (e) {
      f.add(`the recipe without the plugin does not train (${(e as Error).message}): pass spec.without, or false if no checkpoint can be written without the plugin`);
      return;
    } finally {
      w.dispose();
    }
    for (const how of ['resume', 'load'] as const) {
      let tr: Trainer | undefined;
      try {
        tr = r.build(2 * N);
        const calls = watchSetState(pluginOf(tr, r));
        const losses = recordLosses(tr);
        if (how === 'resume') await tr.resume(dir);
        else {
          await tr.setup();
          await tr.load(dir);
        }
        const from = tr.state.step;
        f.expect(from === N, `after ${how}() the step is ${from}, expected ${N}`);
        await tr.fit();
        f.expect(tr.state.step === 2 * N, `after ${how}() training stopped at step ${tr.state.step}, expected ${2 * N}`);
        f.expect(losses.length > 0 && losses.every(Number.isFinite), `losses after ${how}(): ${losses.join(', ') || 'none'}`);
        for (const s of calls) {
          const empty = s.json === undefined && Object.keys(s.tensors ?? {}).length === 0;
          f.expect(empty, `${how}() gave setState a non-empty state from a checkpoint written without the plugin`);
        }
      } catch (e) {
        f.add(`${how}() of a checkpoint written without the plugin, then training, threw: ${(e as Error).message}`);
      } finally {
        tr?.dispose();
      }
    }
  });
  const end = numTensors();
  f.expect(end === start, `${end - start} tensors left after disposing every trainer`);
  f.done();
}

/** Record the states `setState` receives, still calling it. */
function watchSetState(p: GraftPlugin): PluginState[] {
  const calls: PluginState[] = [];
  const own = p.setState?.bind(p);
  if (own) {
    (p as { setState?: (s: PluginState) => void }).setState = (s: PluginState) => {
      calls.push({ json: s.json, tensors: { ...s.tensors } });
      own(s);
    };
  }
  return calls;
}
