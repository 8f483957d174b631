/** Exponential moving average; the first value starts it. */
export function updateEma(prev: number | undefined, x: number, decay: number): number {
  return prev === undefined ? x : decay * prev + (1 - decay) * x;
}
