import { Findings } from '../failure.ts';
import { numTensors, resolveSpec, unaccountedTensors, type ConformanceSpec } from '../spec.ts';

/**
 * The recipe builds and trains 3N steps (or at least 3, if a plugin stops the run); the loss stays
 * finite; the tensors alive besides those of plugin state (`getState()` tensors: optimizer moments,
 * best copies, accumulated gradients, however lazily made) are as many after every batch but the
 * first (no leak), and `getState()` allocates none; disposing the trainer frees every tensor.
 */
export async function checkTrainsWithoutLeak(spec: ConformanceSpec): Promise<void> {
  const r = resolveSpec(spec);
  const f = new Findings('trains without leaking tensors, and frees them on dispose', r.name);
  const start = numTensors();
  const tr = r.build(r.steps * 3);
  try {
    const counts: number[] = [];
    const losses: number[] = [];
    const allocating = new Set<string>();
    tr.tap('afterStep', 'conformance:probe', async (ctx) => {
      losses.push((await ctx.loss!.data())[0]!);
      const u = unaccountedTensors(tr);
      counts.push(u.count);
      for (const a of u.allocating) allocating.add(a);
    }, { stage: 'last' });
    await tr.fit();
    const { step, stopReason } = tr.state;
    // A plugin may end the run early (early stopping): fine, if enough updates ran to count tensors.
    if (stopReason === 'max-steps') f.expect(step === r.steps * 3, `trained ${step} steps, expected ${r.steps * 3}`);
    else f.expect(step >= 3, `the run stopped after ${step} steps (${stopReason}): too few to tell a leak, make it last 3 or more`);
    f.expect(losses.every(Number.isFinite), `losses ${losses.join(', ')} are not all finite`);
    const settled = counts.slice(1);
    f.expect(settled.every((c) => c === settled[0]), `tensors alive after each batch, besides plugin state (getState), grow: ${counts.join(', ')}`);
    f.expect(allocating.size === 0, () => `getState() allocates tensors that save() never frees: ${[...allocating].join(', ')}`);
  } finally {
    tr.dispose();
  }
  const end = numTensors();
  f.expect(end === start, `${end - start} tensors left after dispose`);
  f.done();
}
