/** The constant schedule: the peak learning rate at every step. */
export function constant(_step: number, _totalSteps: number): number {
  return 1;
}
