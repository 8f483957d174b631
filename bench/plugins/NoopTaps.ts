import type { GraftPlugin, TrainerApi } from '../../core/index.ts';

/**
 * `callback:noop-<i>`: taps every per-step hook with a function that does nothing (waterfalls pass
 * their value through), so the bench measures what the hook machinery itself costs per step.
 */
export class NoopTaps implements GraftPlugin {
  readonly meta: { name: string; kind: 'callback' };

  constructor(index: number) {
    this.meta = { name: `callback:noop-${index}`, kind: 'callback' };
  }

  /** Taps this plugin adds per step. */
  static readonly TAPS_PER_STEP = 9;

  apply(t: TrainerApi): void {
    t.tap('beforeStep', this, () => {});
    t.tap('transformBatch', this, (batch) => batch);
    t.tap('afterForward', this, (outputs) => outputs);
    t.tap('onLoss', this, (loss) => loss);
    t.tap('afterBackward', this, (grads) => grads);
    t.tap('beforeOptimizerStep', this, () => {});
    t.tap('afterOptimizerStep', this, () => {});
    t.tap('afterStep', this, () => {});
    t.tap('shouldStop', this, () => undefined);
  }
}
