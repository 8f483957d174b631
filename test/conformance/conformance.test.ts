/**
 * The suite's own tests: deliberately broken plugins that the suite must fail, each on the check
 * meant for its fault and with a message saying what broke, and their fixed twins that pass.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import {
  CoreResources,
  type GradMap,
  type GraftPlugin,
  type OptimizerPlugin,
  type PluginState,
  type StepContext,
  type TrainerApi,
} from '../../core/index.ts';
import {
  checkEvaluate,
  checkLoadWithoutPlugin,
  checkResumeState,
  checkTrainsWithoutLeak,
  conformanceChecks,
  ConformanceFailure,
  pluginConformance,
  type ConformanceSpec,
  type ConformanceTestFn,
} from './index.ts';
import { resolveSpec } from './spec.ts';
import { madeTempDirs, openTempDirs } from './tempDir.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/**
 * Stops the run when a step's loss exceeds `factor` times the running mean of the losses so far.
 * The count and mean live in fields, and this class has NO getState/setState: a resumed run
 * starts counting again. On the toy task the loss falls, so the guard never fires and the
 * parameters of a resumed run equal those of a straight one: only the plugin's state differs.
 */
class RunningMeanGuard implements GraftPlugin {
  readonly meta: { name: string; kind: string } = { name: 'callback:running-mean', kind: 'callback' };
  count = 0;
  mean = 0;
  private spike = false;
  apply(trainer: TrainerApi): void {
    trainer.tap('afterStep', this, async (ctx: StepContext) => {
      const loss = (await ctx.loss!.data())[0]!;
      this.spike = this.count >= 2 && loss > 10 * this.mean;
      this.count++;
      this.mean += (loss - this.mean) / this.count;
    }, { stage: 'observe' });
    trainer.tap('shouldStop', this, () => (this.spike ? 'loss spike' : undefined));
  }
}

/** The same guard with its state saved: what the contract asks for. */
class SavedRunningMeanGuard extends RunningMeanGuard {
  override readonly meta = { name: 'callback:saved-running-mean', kind: 'callback' };
  getState(): PluginState {
    return { json: { count: this.count, mean: this.mean } };
  }
  setState(s: PluginState): void {
    const j = (s.json ?? {}) as { count?: number; mean?: number };
    this.count = j.count ?? 0;
    this.mean = j.mean ?? 0;
  }
}

const broken: ConformanceSpec = { make: () => new RunningMeanGuard() };

test.serial('a plugin keeping a running mean outside getState fails the resume check, on its state, not its parameters', async (t) => {
  const e = await t.throwsAsync(checkResumeState(broken), { instanceOf: ConformanceFailure });
  t.regex(e!.message, /plugin "callback:running-mean": fails the conformance check "a resumed run continues exactly/);
  t.regex(e!.message, /callback:running-mean\.count is 4 straight but 2 resumed/);
  t.regex(e!.message, /callback:running-mean\.mean is [\d.e-]+ straight but [\d.e-]+ resumed/);
  // The parameters, losses and run position agree: the check the suite had before would pass.
  t.false(e!.problems.some((p) => /parameter|loss of batch|state\./.test(p)), e!.problems.join('\n'));
});

test.serial('with getState/setState the same guard passes the resume check', async (t) => {
  await t.notThrowsAsync(checkResumeState({ make: () => new SavedRunningMeanGuard() }));
});

test.serial('fields that describe the process can be left out by name', async (t) => {
  await t.notThrowsAsync(checkResumeState({ ...broken, ignoreFields: ['count', 'mean'] }));
});

test.serial('a failing check removes its temporary folders', async (t) => {
  const before = madeTempDirs().length;
  await t.throwsAsync(checkResumeState(broken));
  const made = madeTempDirs().slice(before);
  t.true(made.length > 0, 'the check used a temporary folder');
  t.deepEqual(openTempDirs(), []);
  t.deepEqual(made.filter((d) => existsSync(d)), []);
});

test.serial('the suite fails the broken guard on the resume check only', async (t) => {
  const failed: string[] = [];
  for (const check of conformanceChecks(broken)) {
    await check.run(broken).catch((e: ConformanceFailure) => failed.push(e.check));
  }
  t.deepEqual(failed, ["a resumed run continues exactly, in parameters and in the plugin's state"]);
});

/** Keeps a copy of every step's loss and never frees them. */
const leaky = (): GraftPlugin => {
  const kept: tf.Tensor[] = [];
  return {
    meta: { name: 'callback:leaky', kind: 'callback' },
    apply(trainer) {
      trainer.tap('afterStep', 'callback:leaky', (ctx) => void kept.push(tf.keep(tf.clone(ctx.loss!))));
    },
  };
};

test.serial('a plugin that keeps a tensor a step fails the leak check', async (t) => {
  await t.throwsAsync(checkTrainsWithoutLeak({ make: leaky }), { message: /tensors alive after each batch, besides plugin state \(getState\), grow: \d+, \d+, \d+/ });
});

/** Keeps a running sum on the device, and hands out a fresh copy of it from every getState() call. */
const copyingState = (): GraftPlugin => {
  let sum: tf.Tensor | undefined;
  return {
    meta: { name: 'callback:copying-state', kind: 'callback' },
    apply(trainer) {
      trainer.tap('afterStep', 'callback:copying-state', (ctx) => {
        const next = tf.keep(sum ? tf.add(sum, ctx.loss!) : tf.clone(ctx.loss!));
        sum?.dispose();
        sum = next;
      });
    },
    getState: (): PluginState => ({ tensors: sum ? { sum: tf.clone(sum) } : {} }),
    dispose: () => sum?.dispose(),
  };
};

test.serial('a plugin whose getState allocates fails the leak check, while its lazily made state does not count as a leak', async (t) => {
  const e = await t.throwsAsync(checkTrainsWithoutLeak({ make: copyingState }), { instanceOf: ConformanceFailure });
  t.regex(e!.message, /getState\(\) allocates tensors that save\(\) never frees: callback:copying-state \(1 a call\)/);
});

/** Swaps the head's kernel for zeros at evaluation and forgets to swap it back. */
const swapper = (restore: boolean): GraftPlugin => {
  let saved: tf.Tensor | undefined;
  return {
    meta: { name: `callback:swap${restore ? '' : '-forgetful'}`, kind: 'callback' },
    apply(trainer) {
      trainer.tap('beforeEval', this, () => {
        const w = trainer.params.get('head.out.kernel');
        saved = tf.keep(tf.clone(w));
        tf.tidy(() => w.assign(tf.zerosLike(w)));
      });
      trainer.tap('afterEval', this, (m) => {
        if (restore) trainer.params.get('head.out.kernel').assign(saved!);
        saved?.dispose();
        return m;
      });
    },
    dispose: () => saved?.dispose(),
  };
};

test.serial('evaluation that leaves evaluation weights swapped in fails the evaluation check', async (t) => {
  const e = await t.throwsAsync(checkEvaluate({ make: () => swapper(false) }), { instanceOf: ConformanceFailure });
  t.regex(e!.message, /parameter head\.out\.kernel differs by [\d.e-]+ \(before vs after evaluating during training \(step 2\)\)/);
  t.regex(e!.message, /run without vs with an evaluation at step 2/);
  await t.notThrowsAsync(checkEvaluate({ make: () => swapper(true) }));
});

/** Draws from the trainer's dropout stream on every evaluation batch. */
const evalDraws: GraftPlugin = {
  meta: { name: 'callback:eval-draws', kind: 'callback' },
  apply(trainer) {
    trainer.tap('evalBatch', 'callback:eval-draws', () => void trainer.forwardContext(true).rng.next());
  },
};

test.serial('evaluation that draws training randomness fails the evaluation check', async (t) => {
  await t.throwsAsync(checkEvaluate({ make: () => evalDraws }), { message: /random streams are .* evaluation draws training randomness/ });
});

/** Expects to find its own state in the checkpoint it is resumed from. */
const needsOwnState = (): GraftPlugin => ({
  meta: { name: 'callback:needs-state', kind: 'callback' },
  apply(trainer) {
    trainer.tap('setup', 'callback:needs-state', () => {
      const resume = trainer.resources.get(CoreResources.resume);
      if (resume) void (resume.plugins['callback:needs-state']!.state as { n: number }).n;
    });
  },
  getState: () => ({ json: { n: 1 } }),
  setState: () => {},
});

test.serial('a plugin that cannot join a run resumed from a checkpoint without it fails that check', async (t) => {
  const e = await t.throwsAsync(checkLoadWithoutPlugin({ make: needsOwnState }), { instanceOf: ConformanceFailure });
  t.regex(e!.message, /resume\(\) of a checkpoint written without the plugin, then training, threw: Cannot read properties of undefined/);
  // load() after setup does not read the manifest: that half passes
  t.false(/load\(\) of/.test(e!.message));
});

class TestSgd implements OptimizerPlugin {
  readonly meta = { name: 'optimizer:test-sgd', kind: 'optimizer' } as const;
  readonly baseLearningRate = 0.1;
  learningRate = 0.1;
  groups = [];
  apply(): void {}
  setLearningRateMultiplier(m: number): void {
    this.learningRate = this.baseLearningRate * m;
  }
  groupRates() {
    return { default: this.learningRate };
  }
  step(grads: GradMap, ctx: { trainer: TrainerApi }): void {
    for (const [n, g] of Object.entries(grads)) ctx.trainer.params.get(n).assign(tf.sub(ctx.trainer.params.get(n), tf.mul(g, this.learningRate)));
  }
}

test.serial('extra plugins join the toy recipe; one of a toy role replaces the toy plugin', async (t) => {
  const r = resolveSpec({ make: () => new SavedRunningMeanGuard(), extra: () => [new TestSgd(), evalDraws] });
  const tr = r.build(1);
  t.deepEqual(tr.plugins.map((p) => p.meta.name).sort(), [
    'callback:eval-draws',
    'callback:saved-running-mean',
    'dataset:toy',
    'model:toy',
    'objective:toy-xent',
    'optimizer:test-sgd',
  ]);
  tr.dispose();
  // the recipe without the plugin under test, for a plugin filling a toy role, gets the toy plugin back
  const w = resolveSpec({ make: () => new TestSgd() }).buildWithout(1)!;
  t.is(w.role('optimizer').meta.name, 'optimizer:toy-sgd');
  w.dispose();
});

test.serial('pluginConformance registers one serial test per check, each asserting that the check resolves', async (t) => {
  const tests: { title: string; fn: Parameters<ConformanceTestFn['serial']>[1] }[] = [];
  const fake: ConformanceTestFn = { serial: (title, fn) => void tests.push({ title, fn }) };
  pluginConformance(fake, { ...broken, title: 'guard' });
  t.deepEqual(tests.map((x) => x.title), [
    'guard conformance: trains without leaking tensors, and frees them on dispose',
    "guard conformance: save and load restore the plugin's state",
    "guard conformance: a resumed run continues exactly, in parameters and in the plugin's state",
    'guard conformance: evaluation during and after training leaves training as it was',
    'guard conformance: continues from a checkpoint written without the plugin',
  ]);
  // run the resume test with a stand-in for ava's context: it hands the failing check to notThrowsAsync
  let outcome = '';
  await tests[2]!.fn({ notThrowsAsync: (p) => Promise.resolve(p).then(() => void (outcome = 'ok'), (e: Error) => void (outcome = e.message)) });
  t.regex(outcome, /callback:running-mean\.count is 4 straight but 2 resumed/);
  pluginConformance(fake, { ...broken, without: false });
  t.is(tests.length, 5 + 4, 'without: false leaves the checkpoint-without-the-plugin check out');
});

// The fixed guard goes through the whole suite, as every plugin does.
pluginConformance(test, { make: () => new SavedRunningMeanGuard() });
