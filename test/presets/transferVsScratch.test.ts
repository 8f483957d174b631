import test from 'ava';
import { aggregate, f1Plot, resultsTable, spread, type RunRecord } from '../../presets/index.ts';
import { yFloor } from '../../presets/transfer-vs-scratch/f1Plot.ts';
import { perSeedTable } from '../../presets/transfer-vs-scratch/resultsTable.ts';
import { collapsed, mostlyOneClass, testSetBaseline, topPredictedShare } from '../../presets/transfer-vs-scratch/testSetBaseline.ts';

const close = (t: { true(v: boolean, m?: string): void }, a: number, b: number, eps = 1e-12) => t.true(Math.abs(a - b) <= eps, `${a} vs ${b}`);

// Two sizes × two seeds × two variants, plus the whole split (size 0) with one seed.
const RUNS: RunRecord[] = [
  { variant: 'scratch', size: 100, examples: 100, seed: 1, f1: 0.5, accuracy: 0.7, collapsed: true },
  { variant: 'scratch', size: 100, examples: 100, seed: 2, f1: 0.6, accuracy: 0.8 },
  { variant: 'transfer', size: 100, examples: 100, seed: 1, f1: 0.8, accuracy: 0.9 },
  { variant: 'transfer', size: 100, examples: 100, seed: 2, f1: 0.55, accuracy: 0.75 },
  { variant: 'scratch', size: 0, examples: 4609, seed: 1, f1: 0.9, accuracy: 0.95, mostlyOneClass: true },
  { variant: 'transfer', size: 0, examples: 4609, seed: 1, f1: 0.95, accuracy: 0.97 },
  { variant: 'scratch', size: 50, examples: 50, seed: 1, f1: 0.4, accuracy: 0.6 },
  { variant: 'scratch', size: 50, examples: 50, seed: 2, f1: 0.44, accuracy: 0.62 },
  { variant: 'transfer', size: 50, examples: 50, seed: 1, f1: 0.7, accuracy: 0.8 },
  { variant: 'transfer', size: 50, examples: 50, seed: 2, f1: 0.74, accuracy: 0.82 },
];

test('spread: mean, sample standard deviation, min and max by hand', (t) => {
  const s = spread([2, 4, 4, 4, 5, 5, 7, 9]);
  // mean 5; squared deviations sum 32; sample variance 32/7.
  close(t, s.mean, 5);
  close(t, s.std, Math.sqrt(32 / 7));
  t.is(s.min, 2);
  t.is(s.max, 9);
  t.is(s.n, 8);
  t.deepEqual(spread([0.3]), { n: 1, mean: 0.3, std: 0, min: 0.3, max: 0.3 });
  t.true(Number.isNaN(spread([]).mean));
});

test('aggregate: rows ordered by examples, variants apart, difference paired by seed', (t) => {
  const rows = aggregate(RUNS);
  t.deepEqual(rows.map((r) => r.size), [50, 100, 0]);
  t.deepEqual(rows.map((r) => r.examples), [50, 100, 4609]);
  const r100 = rows[1]!;
  close(t, r100.scratch.f1.mean, 0.55);
  close(t, r100.scratch.f1.std, Math.sqrt(0.005)); // deviations ±0.05: (0.0025 * 2) / 1
  close(t, r100.transfer.f1.mean, 0.675);
  close(t, r100.transfer.accuracy.mean, 0.825);
  // Paired: seed 1: 0.8 − 0.5 = 0.3; seed 2: 0.55 − 0.6 = −0.05.
  close(t, r100.f1Difference.mean, 0.125);
  close(t, r100.f1Difference.std, Math.sqrt((0.175 ** 2 * 2) / 1));
  t.is(r100.f1Difference.min, 0.55 - 0.6);
  t.is(r100.f1Difference.max, 0.8 - 0.5);
  t.is(r100.transferAhead, 1);
  t.deepEqual(r100.seeds, [1, 2]);
  const all = rows[2]!;
  t.is(all.transfer.f1.n, 1);
  t.is(all.transfer.f1.std, 0);
  t.is(all.transferAhead, 1);
});

test('aggregate: a seed with one variant only is left out of the difference', (t) => {
  const rows = aggregate([
    { variant: 'scratch', size: 10, examples: 10, seed: 1, f1: 0.5, accuracy: 0.5 },
    { variant: 'transfer', size: 10, examples: 10, seed: 1, f1: 0.7, accuracy: 0.7 },
    { variant: 'transfer', size: 10, examples: 10, seed: 2, f1: 0.9, accuracy: 0.9 },
  ]);
  t.is(rows[0]!.f1Difference.n, 1);
  close(t, rows[0]!.f1Difference.mean, 0.2);
  t.is(rows[0]!.transfer.f1.n, 2);
});

test('resultsTable: one line per size with mean ± std, signed difference, its interval and verdict', (t) => {
  const md = resultsTable(aggregate(RUNS));
  const lines = md.trim().split('\n');
  t.is(lines.length, 2 + 3);
  t.regex(lines[0]!, /majority F1 \| bag-of-words F1 \| scratch F1 \| transfer F1 \| Δ F1/);
  // Δ = [0.3, −0.05]: mean 0.125, std 0.2475; 95% interval 0.125 ± 12.706 · 0.2475 / √2 = ±2.2236.
  t.is(lines[3], `| 100 | 2 | – | – | 0.550 ± 0.071 | 0.675 ± 0.177 | +0.125 ± 0.247 | -2.099 to +2.349 | within noise | 1 / 0 | 1 / 0 |`);
  t.regex(lines[4]!, /^\| all \(4609\) \| 1 \| – \| – \| 0\.900 ± 0\.000 \| 0\.950 ± 0\.000 \| \+0\.050 ± 0\.000 \| – \| one seed \|/);
  // At 50: Δ = [0.3, 0.3], no spread: the interval is the point, transfer ahead.
  t.regex(lines[2]!, /\| \+0\.300 to \+0\.300 \| transfer ahead \|/);
});

function attr(el: string, name: string): number {
  return Number(new RegExp(`${name}="([^"]+)"`).exec(el)![1]);
}

test('f1Plot: a marker per size and variant, a dot per run, a band and a line per variant, log x axis', (t) => {
  const rows = aggregate(RUNS);
  const svg = f1Plot(rows, RUNS, { width: 700, height: 400 });
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.true(svg.trim().endsWith('</svg>'));
  const means = svg.match(/<circle class="mean"[^>]*>/g) ?? [];
  t.is(means.length, rows.length * 2);
  t.is((svg.match(/<circle class="run"/g) ?? []).length, RUNS.length);
  t.is((svg.match(/<polygon class="band"/g) ?? []).length, 2);
  t.is((svg.match(/<polyline class="mean-line"/g) ?? []).length, 2);
  // Every band has 2 points per size (max going right, min coming back).
  for (const band of svg.match(/<polygon class="band" points="([^"]+)"/g)!) t.is(band.split('points="')[1]!.split(' ').length, rows.length * 2);
  // Log scale: the x distance 50 → 100 is log(2)/log(4609/100) of the distance 100 → 4609.
  const scratchMeans = svg.split('data-variant="scratch"')[1]!.split('</g>')[0]!.match(/<circle class="mean"[^>]*>/g)!;
  const [xa, xb, xc] = scratchMeans.map((c) => attr(c, 'cx'));
  close(t, (xb! - xa!) / (xc! - xb!), Math.log(2) / Math.log(46.09), 0.01);
  // Higher F1 is higher on the page (smaller y): transfer 0.72 above scratch 0.42 at 50 examples.
  const transferMeans = svg.split('data-variant="transfer"')[1]!.split('</g>')[0]!.match(/<circle class="mean"[^>]*>/g)!;
  t.true(attr(transferMeans[0]!, 'cy') < attr(scratchMeans[0]!, 'cy'));
  // Ticks: the three sizes on x, "all (4609)" for the whole split.
  t.is((svg.match(/class="xtick"/g) ?? []).length, 3);
  t.true(svg.includes('>all (4609)</text>'));
  t.true(svg.includes('from scratch') && svg.includes('pre-trained encoder'));
});

test('yFloor: a tenth below the lowest value, at least 0', (t) => {
  t.is(yFloor([0.55, 0.9]), 0.5);
  t.is(yFloor([0.51]), 0.4);
  t.is(yFloor([0.01, 0.9]), 0);
  t.is(yFloor([0.97]), 0.9);
});

test('test-set baseline from a confusion matrix: class balance, majority accuracy and macro-F1 (hand-computed)', (t) => {
  // SpamAssassin's test split: 409 ham, 167 spam; the majority class scores 409/576 and macro-F1 (2m/(1+m))/2.
  const b = testSetBaseline([[300, 109], [40, 127]]);
  t.deepEqual(b.classCounts, [409, 167]);
  t.is(b.total, 576);
  t.is(b.majorityClass, 0);
  close(t, b.accuracy, 409 / 576);
  close(t, b.macroF1, 0.4152284263959391);
  const three = testSetBaseline([[1, 0, 0], [0, 5, 1], [0, 0, 3]]);
  t.is(three.majorityClass, 1);
  close(t, three.macroF1, (2 * 0.6) / 1.6 / 3);
});

test('a run that predicted one class is flagged, and counted per size and variant', (t) => {
  t.true(collapsed([[409, 0], [167, 0]]));
  t.true(collapsed([[0, 409], [0, 167]]));
  t.false(collapsed([[408, 1], [167, 0]]));
  const rows = aggregate(RUNS);
  t.deepEqual(rows.find((r) => r.size === 100)!.collapsed, { scratch: 1, transfer: 0 });
  t.deepEqual(rows.find((r) => r.size === 0)!.collapsed, { scratch: 0, transfer: 0 });
});

test('a run that predicted one class for at least 95% of the test set is flagged "mostly one class", counted, and shown per seed', (t) => {
  // The measured sotu-party scratch run (size all, seed 1): 878 of 912 predicted Republican, a class holding 591 (64.8%).
  const sotu = [[26, 295], [8, 583]];
  const top = topPredictedShare(sotu);
  t.is(top.cls, 1);
  close(t, top.share, 878 / 912);
  close(t, top.trueShare, 591 / 912);
  t.true(mostlyOneClass(sotu));
  t.false(collapsed(sotu));
  // 94.9% in one class: under the threshold.
  t.false(mostlyOneClass([[51, 40], [0, 909]]));
  // A test set that is itself 96% one class: predicting it 97% of the time is not a failure to learn.
  t.false(mostlyOneClass([[30, 10], [0, 960]]));
  // A collapsed run is also mostly one class.
  t.true(mostlyOneClass([[409, 0], [167, 0]]));
  const rows = aggregate(RUNS);
  t.deepEqual(rows.find((r) => r.size === 0)!.mostlyOneClass, { scratch: 1, transfer: 0 });
  // The collapsed run (size 100, seed 1) counts as mostly one class too.
  t.deepEqual(rows.find((r) => r.size === 100)!.mostlyOneClass, { scratch: 1, transfer: 0 });
  const table = resultsTable(rows);
  t.regex(table, /\| all \(4609\) \|.*\| 0 \/ 0 \| 1 \/ 0 \|$/m);
  const perSeed = perSeedTable(rows, RUNS);
  t.regex(perSeed, /\| all \(4609\) \| 1 \| – \| – \| 0\.900 \/ 0\.950 \*mostly one class\* \| 0\.950 \/ 0\.970 \|/);
  t.regex(perSeed, /\| 100 \| 1 \| – \| – \| 0\.500 \/ 0\.700 \*\*one class\*\* \|/);
});
