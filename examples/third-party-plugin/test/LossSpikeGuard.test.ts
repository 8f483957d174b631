import test from 'ava';
import { createTrainer, silentLogger, GraftError, tf, type GraftPlugin } from 'graftml';
import { pluginConformance, toyPlugins } from 'graftml/testing';
import { LossSpikeGuard, updateEma } from '../src/index.ts';

// No backend set here: the trainer picks the fastest that loads, as it does for any user.

pluginConformance(test, { make: () => new LossSpikeGuard() });

test('updateEma starts at the first value and then decays', (t) => {
  t.is(updateEma(undefined, 4, 0.9), 4);
  t.is(updateEma(4, 14, 0.9), 0.9 * 4 + 0.1 * 14);
});

test('a spiking loss is skipped: no update, counted', async (t) => {
  const guard = new LossSpikeGuard({ warmup: 2, factor: 2 });
  // Multiply the loss by 100 at step 4 to fake a spike.
  const spike: GraftPlugin = {
    meta: { name: 'regularizer:spike', kind: 'regularizer' },
    apply(tr) {
      tr.tap('onLoss', this, (loss, ctx) => (ctx.state.batchInEpoch === 4 ? (tf.mul(loss, 100) as tf.Scalar) : loss));
    },
  };
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 6 }), guard, spike], logger: silentLogger() });
  await tr.fit();
  t.is(guard.skipped, 1);
  t.is(tr.state.step, 5, 'one of six steps did not update');
  tr.dispose();
});

test('bad options name the option', (t) => {
  const e = t.throws(() => new LossSpikeGuard({ factor: 1 }), { instanceOf: GraftError });
  t.regex(e.message, /callback:loss-spike-guard.*option "factor".*expected a number > 1/);
});
