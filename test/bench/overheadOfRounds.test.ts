import test from 'ava';
import { overheadOfRounds } from '../../bench/lib/overheadOfRounds.ts';
import type { StepTimes } from '../../bench/measure.ts';

const block = (...wall: number[]): StepTimes => ({ wall, cpu: wall.map((x) => 2 * x) });

test('the trainers against the bare loops, per round and pooled, and each pair of twins against itself', (t) => {
  // Loops in the order made: trainer 1, bare 1, bare 2, trainer 2. Block medians by round:
  // round 1: 10.4, 10.0, 10.2, 10.6 -> trainers 10.5 vs bare 10.1; round 2: 10.2, 9.9, 10.1, 10.4 -> 10.3 vs 10.0.
  const rounds = [
    [block(10.3, 10.4, 10.5), block(9.9, 10.0, 10.1), block(10.2, 10.2, 10.3), block(10.6, 10.6, 10.9)],
    [block(10.1, 10.2, 10.2), block(9.8, 9.9, 10.0), block(10.0, 10.1, 10.1), block(10.4, 10.4, 10.5)],
  ];
  const o = overheadOfRounds(rounds, 'wall');
  const per = [(10.5 / 10.1 - 1) * 100, (10.3 / 10.0 - 1) * 100];
  t.true(Math.abs(o.pairedOverheadPercent - (per[0]! + per[1]!) / 2) < 1e-9);
  t.deepEqual(o.pairedQuartilesPercent.map((x) => Number(x.toFixed(9))), [per[1]! + (per[0]! - per[1]!) * 0.25, per[1]! + (per[0]! - per[1]!) * 0.75].map((x) => Number(x.toFixed(9))));
  // Pooled: the median of the trainers' 12 intervals (10.4) against the bare loops' (10.05).
  t.is(Number(o.graftMs.toFixed(9)), 10.4);
  t.is(Number(o.bareMs.toFixed(9)), 10.05);
  t.true(Math.abs(o.overheadMsPerStep - 0.35) < 1e-9);
  // A/A: trainer 2 against trainer 1 (10.6/10.4, 10.4/10.2), bare 2 against bare 1 (10.2/10.0, 10.1/9.9).
  const aaG = ((10.6 / 10.4 - 1) * 100 + (10.4 / 10.2 - 1) * 100) / 2;
  const aaB = ((10.2 / 10.0 - 1) * 100 + (10.1 / 9.9 - 1) * 100) / 2;
  t.true(Math.abs(o.aaPercent.trainers - aaG) < 1e-9);
  t.true(Math.abs(o.aaPercent.bareLoops - aaB) < 1e-9);
  // The CPU clock is read from its own field (twice the wall times here: the same percentages).
  const c = overheadOfRounds(rounds, 'cpu');
  t.true(Math.abs(c.graftMs - 20.8) < 1e-9);
  t.true(Math.abs(c.pairedOverheadPercent - o.pairedOverheadPercent) < 1e-9);
});
