/**
 * The class list for a set of label values: distinct values sorted, numerically when every value
 * is a number (`2` before `10`), else by code unit. Class id = index in this list, so the mapping
 * is the same on every run whatever the order of the data.
 */
export function sortLabels(values: Iterable<string>): string[] {
  const distinct = [...new Set(values)];
  const numeric = distinct.length > 0 && distinct.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return numeric
    ? distinct.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0))
    : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
