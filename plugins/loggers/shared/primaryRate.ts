/**
 * The learning rate to show for a run: the first entry of the optimizer's `groupRates()`, which
 * is its first parameter group, or `default` when it has none. Undefined if it reports nothing.
 */
export function primaryRate(rates: Readonly<Record<string, number>>): number | undefined {
  for (const k in rates) return rates[k];
  return undefined;
}
