export interface SlantedTriangularOptions {
  cutFrac: number;
  ratio: number;
}

/**
 * Slanted triangular learning rate (Howard & Ruder 2018, ULMFiT, eq. 3), as a multiplier of lrMax:
 *
 *   cut = ⌊T · cutFrac⌋
 *   p   = t < cut ? t / cut : 1 - (t - cut) / (cut · (1/cutFrac - 1))
 *   m   = (1 + p (ratio - 1)) / ratio
 *
 * Rises from 1/ratio to 1 over `cut` steps, then falls back to 1/ratio at T. With T < 1/cutFrac
 * there is no rise (cut = 0) and the fall spans T steps. p is clamped to [0, 1] past T.
 */
export function slantedTriangular(step: number, totalSteps: number, o: SlantedTriangularOptions): number {
  const cut = Math.floor(totalSteps * o.cutFrac);
  const fall = cut > 0 ? cut * (1 / o.cutFrac - 1) : Math.max(1, totalSteps);
  const p = step < cut ? step / cut : 1 - (step - cut) / fall;
  const pc = Math.min(1, Math.max(0, p));
  return (1 + pc * (o.ratio - 1)) / o.ratio;
}
