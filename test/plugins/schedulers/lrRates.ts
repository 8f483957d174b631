import { createTrainer, silentLogger, type GraftPlugin, type TrainerApi, type TrainerOptionsInput } from '../../../core/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';

/** The rate the optimizer uses at each step, read after every other tap of beforeOptimizerStep. */
export class LrRecorder implements GraftPlugin {
  readonly meta = { name: 'callback:lr-recorder', kind: 'callback' } as const;
  readonly rates: number[] = [];
  apply(t: TrainerApi): void {
    t.tap('beforeOptimizerStep', this, () => void this.rates.push(t.role('optimizer').learningRate), { stage: 'observe' });
  }
}

/** The learning rate at every step of a toy run (4 batches an epoch, AdamW lr 0.02, seed 3) with `scheduler`. */
export async function recordRates(scheduler: GraftPlugin, options: TrainerOptionsInput = {}, extra: GraftPlugin[] = []): Promise<number[]> {
  const rec = new LrRecorder();
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToyDataset({ batches: 4 }), new AdamwOptimizer({ lr: 0.02 }), scheduler, rec, ...extra],
    options: { seed: 3, ...options },
    logger: silentLogger(),
  });
  await trainer.fit();
  trainer.dispose();
  return rec.rates;
}
