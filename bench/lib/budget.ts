/**
 * The report's time budget: sections ask for an allowance and get at most what is left before the
 * deadline, so on a slow or loaded machine they time fewer steps (never fewer than their minimum)
 * instead of overrunning. `Infinity` total: no budget (--long).
 */
export class Budget {
  private readonly deadline: number;

  constructor(totalMs: number, private readonly now: () => number = () => performance.now()) {
    this.deadline = now() + totalMs;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }

  /** `wantedMs`, or less if the budget has less left. */
  allowance(wantedMs: number): number {
    return Math.min(wantedMs, this.remainingMs());
  }
}
