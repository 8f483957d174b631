import test from 'ava';
import { formatNumber, formatSeconds, formatValue } from '../../core/index.ts';

test('formatNumber: 4 significant digits, integers as they are, tiny and huge in exponent form', (t) => {
  t.is(formatNumber(2.4945948123931885), '2.495');
  t.is(formatNumber(153.9342751105186), '153.9');
  t.is(formatNumber(0.0012345678), '0.001235');
  t.is(formatNumber(0.7100694444444444), '0.7101');
  t.is(formatNumber(1234567.8), '1.235e+6');
  t.is(formatNumber(0.00001234), '1.234e-5');
  t.is(formatNumber(250), '250');
  t.is(formatNumber(0), '0');
  t.is(formatNumber(-0.5), '-0.5');
  t.is(formatNumber(NaN), 'NaN');
  t.is(formatNumber(-Infinity), '-Infinity');
});

test('formatValue rounds every number inside arrays and objects, keeps strings and integers', (t) => {
  t.is(formatValue({ validation_loss: 5.036525726318359, steps: 10 }), '{"validation_loss":5.037,"steps":10}');
  t.is(formatValue([[409, 0], [167, 0]]), '[[409,0],[167,0]]');
  t.is(formatValue('Call me Ishmael.'), 'Call me Ishmael.');
  t.is(formatValue(0.838), '0.838');
});

test('formatSeconds: seconds, minutes with seconds, hours with minutes', (t) => {
  t.is(formatSeconds(0.4), '0s');
  t.is(formatSeconds(42.6), '43s');
  t.is(formatSeconds(187), '3m07s');
  t.is(formatSeconds(3720), '1h02m');
});
