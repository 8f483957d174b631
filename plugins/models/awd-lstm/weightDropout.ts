import { dropout, type ParamTransform, type Rng } from '../../../core/index.ts';

/**
 * DropConnect on a weight matrix (AWD-LSTM's WeightDrop), as a parameter-store transform: in
 * training each entry is zeroed with probability `rate` and the rest scaled by 1/(1-rate); at
 * evaluation the weights are returned unchanged. The model reads the matrix once per forward, so
 * one mask serves every time step of the batch, as in the paper.
 */
export function weightDropout(rate: number, rng: Rng): ParamTransform {
  return (w, info) => dropout(w, rate, info.training, rng);
}
