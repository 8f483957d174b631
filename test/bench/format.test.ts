import test from 'ava';
import { compareLosses } from '../../bench/lib/compareLosses.ts';
import { formatTable } from '../../bench/lib/formatTable.ts';
import { parseTorchOutput } from '../../bench/lib/parseTorchOutput.ts';

test('formatTable pads columns, right-aligns numbers, prints missing cells as -', (t) => {
  const s = formatTable(['impl', 'ms'], [['graft', 12.345678], ['torch', null], ['bare', 3]]);
  t.is(s, ['impl      ms', '-----  -----', 'graft  12.35', 'torch      -', 'bare       3'].join('\n'));
});

test('parseTorchOutput takes the JSON result line and ignores other output', (t) => {
  const line = '{"impl": "torch", "backend": "cpu-2t", "tokens_per_s": 11000.5, "step_ms": 186.2, "loss_first": 4.6224, "loss_last": 3.8, "params": 822016, "gflops_per_s": 62, "torch": "1.13"}';
  const r = parseTorchOutput(`warning: something\n${line}\n`);
  t.is(r.tokens_per_s, 11000.5);
  t.is(r.params, 822016);
  t.throws(() => parseTorchOutput('Traceback ...\nModuleNotFoundError'), { message: /no JSON result line/ });
  t.throws(() => parseTorchOutput('{"impl": "other", "tokens_per_s": 1}'), { message: /no JSON result line/ });
});

test('compareLosses reports the largest difference over the first steps', (t) => {
  const c = compareLosses([4.62240, 4.31850, 4.19110, 9], [4.6224, 4.31849, 4.19117], 1e-4);
  t.is(c.steps, 3);
  t.true(Math.abs(c.maxAbsDiff - 7e-5) < 1e-9);
  t.true(c.agree);
  t.false(compareLosses([4.7], [4.6224], 1e-4).agree);
  t.false(compareLosses([NaN], [4.6224], 1e-4).agree);
  t.throws(() => compareLosses([], [1], 1));
});
