/** `count` per second over `seconds` of wall time; undefined before any time has passed. */
export function throughput(count: number, seconds: number): number | undefined {
  return seconds > 0 ? count / seconds : undefined;
}

/**
 * Seconds left, assuming the pace since this process started: `elapsed` seconds took the run
 * from fraction `from` to `now`. A resumed run starts at `from` > 0, so its pace is its own.
 */
export function eta(from: number, now: number, elapsedSeconds: number): number | undefined {
  if (!(now > from) || elapsedSeconds <= 0) return undefined;
  return (elapsedSeconds * (1 - now)) / (now - from);
}
