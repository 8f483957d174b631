import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestFn } from 'ava';
import { createTrainer, silentLogger, type GraftPlugin, type Trainer, type TrainerOptionsInput } from '../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../helpers/toy.ts';

export interface ConformanceSpec {
  /** Test title prefix; defaults to the plugin's name. */
  title?: string;
  /** Make a fresh instance of the plugin under test (called once per trainer). */
  make: () => GraftPlugin;
  /**
   * The rest of the recipe (fresh instances each call). Defaults to toy model, objective, SGD and
   * dataset, minus the role the plugin under test fills.
   */
  recipe?: () => GraftPlugin[];
  /** Steps per phase (default 2). */
  steps?: number;
  options?: TrainerOptionsInput;
  /** Absolute tolerance when comparing parameters after resume (default 0: bit-identical). */
  tolerance?: number;
}

function defaultRecipe(kind: string): GraftPlugin[] {
  const all: GraftPlugin[] = [new ToyModel(), new ToyObjective(), new ToySgd(), new ToyDataset({ batches: 8 })];
  return all.filter((p) => p.meta.kind !== kind);
}

async function snapshot(tr: Trainer): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const n of tr.params.names()) out[n] = (await tr.params.get(n).data()) as Float32Array;
  return out;
}

/**
 * The suite every plugin goes through, Graft's own and third parties' alike: it builds, trains,
 * saves, loads and resumes a small recipe containing the plugin and checks that
 *  1. the recipe builds and trains, and the loss stays finite;
 *  2. the tensor count is flat across steps (no leak) and back to the start after dispose;
 *  3. save → load restores the plugin's state (getState equal before and after);
 *  4. N + N steps straight equal N steps, save, resume in a fresh trainer, N steps: same parameters.
 *
 * Use: `import test from 'ava'; pluginConformance(test, { make: () => new MyPlugin() })`.
 */
export function pluginConformance(test: TestFn, spec: ConformanceSpec): void {
  const probe = spec.make();
  const title = spec.title ?? probe.meta.name;
  probe.dispose?.();
  const steps = spec.steps ?? 2;
  const recipe = () => [...(spec.recipe?.() ?? defaultRecipe(probe.meta.kind)), spec.make()];
  const build = (maxSteps: number) =>
    createTrainer({ plugins: recipe(), options: { epochs: 100, ...spec.options, maxSteps }, logger: silentLogger() });

  test.serial(`${title} conformance: trains without leaking tensors, and frees them on dispose`, async (t) => {
    const start = tf.memory().numTensors;
    const tr = build(steps * 3);
    const counts: number[] = [];
    const losses: number[] = [];
    tr.tap('afterStep', 'conformance:probe', async (ctx) => {
      losses.push((await ctx.loss!.data())[0]!);
      counts.push(tf.memory().numTensors);
    }, { stage: 'last' });
    await tr.fit();
    t.is(losses.length, steps * 3);
    t.true(losses.every(Number.isFinite), `losses ${losses}`);
    const settled = counts.slice(1);
    t.true(settled.every((c) => c === settled[0]), `tensor counts per step: ${counts}`);
    tr.dispose();
    t.is(tf.memory().numTensors, start, 'dispose frees every tensor');
  });

  test.serial(`${title} conformance: save and load restore the plugin's state`, async (t) => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'graft-conf-')), 'ck');
    const a = build(steps);
    await a.fit();
    await a.save(dir);
    const b = build(steps);
    await b.load(dir);
    const pa = a.plugin(probe.meta.name)!;
    const pb = b.plugin(probe.meta.name)!;
    const sa = pa.getState?.();
    const sb = pb.getState?.();
    t.deepEqual(JSON.parse(JSON.stringify(sb?.json ?? null)), JSON.parse(JSON.stringify(sa?.json ?? null)));
    for (const k of Object.keys(sa?.tensors ?? {})) {
      t.deepEqual(await sb!.tensors![k]!.data(), await sa!.tensors![k]!.data(), `state tensor ${k}`);
    }
    t.deepEqual(b.state.step, a.state.step);
    a.dispose();
    b.dispose();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  test.serial(`${title} conformance: a resumed run continues exactly`, async (t) => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'graft-conf-')), 'ck');
    const straight = build(steps * 2);
    await straight.fit();
    const first = build(steps);
    await first.fit();
    await first.save(dir);
    first.dispose();
    const resumed = build(steps * 2);
    await resumed.resume(dir);
    await resumed.fit();
    t.is(resumed.state.step, straight.state.step);
    const a = await snapshot(straight);
    const b = await snapshot(resumed);
    const tol = spec.tolerance ?? 0;
    for (const n of Object.keys(a)) {
      let worst = 0;
      for (let i = 0; i < a[n]!.length; i++) worst = Math.max(worst, Math.abs(a[n]![i]! - b[n]![i]!));
      t.true(worst <= tol, `parameter ${n} differs by ${worst} after resume`);
    }
    straight.dispose();
    resumed.dispose();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });
}
