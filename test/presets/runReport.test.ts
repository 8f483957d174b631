/**
 * Run reports: the SVG curves hold the logged points (read back through the axis scales written
 * on the chart), user text is escaped, compare lists exactly the keys that differ, and the
 * commands refuse what is not a run folder.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { compareMarkdown, configKeys, differingKeys, lineChart, readRun, reportHtml, ticks, writeReport } from '../../presets/run-report/index.ts';
import { configure, gptPretrainPreset, recipeToData } from '../../presets/index.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-report-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

/** Every point of every polyline (and lone circle) of an SVG, mapped back to data coordinates. */
function curves(svg: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const chart of svg.split('</svg>')) {
    const plot = /data-plot="([^"]+)" data-x="([^"]+)" data-y="([^"]+)"/.exec(chart);
    if (!plot) continue;
    const [left, top, w, h] = plot[1]!.split(',').map(Number) as [number, number, number, number];
    const [x0, x1] = plot[2]!.split(',').map(Number) as [number, number];
    const [y0, y1] = plot[3]!.split(',').map(Number) as [number, number];
    const back = (px: number, py: number): [number, number] => [x0 + ((px - left) / w) * (x1 - x0), y0 + ((top + h - py) / h) * (y1 - y0)];
    for (const m of chart.matchAll(/<polyline data-series="([^"]+)"[^>]* points="([^"]+)"/g)) {
      out.set(m[1]!, m[2]!.split(' ').map((p) => back(...(p.split(',').map(Number) as [number, number]))));
    }
    for (const m of chart.matchAll(/<circle data-series="([^"]+)"[^>]* cx="([^"]+)" cy="([^"]+)"/g)) out.set(m[1]!, [back(Number(m[2]), Number(m[3]))]);
  }
  return out;
}

function close(t: { true(v: boolean, m?: string): void }, got: [number, number][], want: (readonly [number, number])[], what: string) {
  t.true(got.length === want.length, `${what}: ${got.length} points, ${want.length} logged`);
  // Coordinates are written to 2 decimals of a pixel: within a 1/10,000 of each axis' range.
  const rx = Math.max(...want.map((p) => p[0])) - Math.min(...want.map((p) => p[0])) || 1;
  const ry = Math.max(...want.map((p) => p[1])) - Math.min(...want.map((p) => p[1])) || 1;
  want.forEach(([x, y], i) => t.true(Math.abs(got[i]![0] - x) <= rx * 1e-4 + 1e-9 && Math.abs(got[i]![1] - y) <= ry * 1e-4 + 1e-9, `${what} point ${i}: ${got[i]} vs ${x},${y}`));
}

function fakeRun(name: string, recipe: unknown, sample: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'pretrain'), { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ preset: 'gpt-next-token-pretrain', seed: 42, config: {}, recipe, backend: 'wasm' }));
  const records = [
    ...[10, 20, 30, 40].map((step, i) => ({ type: 'train', step, epoch: 0, loss: 4 - i * 0.7 + (i === 2 ? 0.3 : 0), lr: 0.001 * (i + 1), tokens: step * 100, time: 1000 + step })),
    { type: 'eval', step: 20, epoch: 0, split: 'validation', time: 1021, validation_loss: 3.2, validation_perplexity: 24.5 },
    { type: 'eval', step: 40, epoch: 0, split: 'validation', time: 1041, validation_loss: 2.9, validation_perplexity: 18.2 },
  ];
  writeFileSync(path.join(dir, 'pretrain', 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'pretrain', 'result.json'), JSON.stringify({ stopReason: 'max-steps', steps: 40, tokens: 4000, seconds: 4.2, metrics: { validation_loss: 2.9 }, sample }));
  return dir;
}

test('ticks are round numbers covering the range', (t) => {
  t.deepEqual(ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual(ticks(10, 250), [50, 100, 150, 200, 250]);
  t.deepEqual(ticks(2.31, 2.52), [2.35, 2.4, 2.45, 2.5]);
});

test('the report\'s curves hold the logged points: training loss, learning rate, every validation metric', (t) => {
  const dir = fakeRun('run-a', recipeToData(gptPretrainPreset), 'Call me <script>alert(1)</script> & "Ishmael"');
  const file = writeReport(dir);
  const html = readFileSync(file, 'utf8');
  const records = readRun(dir).stages[0]!.records;
  const got = curves(html);
  const logged = (type: string, key: string) => records.filter((r) => r.type === type).map((r) => [r.step as number, r[key] as number] as const);
  close(t, got.get('training loss')!, logged('train', 'loss'), 'training loss');
  close(t, got.get('learning rate')!, logged('train', 'lr'), 'learning rate');
  close(t, got.get('validation_loss')!, logged('eval', 'validation_loss'), 'validation_loss');
  close(t, got.get('validation_perplexity')!, logged('eval', 'validation_perplexity'), 'validation_perplexity');
  // User text is escaped; the page needs no script and loads nothing from elsewhere.
  t.false(html.includes('<script'));
  t.true(html.includes('Call me &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Ishmael&quot;'));
  t.false(/(src|href)="https?:/.test(html));
  // The loop as graft describe prints it, rebuilt from the recorded recipe.
  t.regex(html, /<summary>the loop of each stage[^<]*<\/summary><pre>stage pretrain: GPT next-token pre-training\nplugins: dataset:text-corpus, tokenizer:char, model:gpt/);
  t.regex(html, /beforeOptimizerStep/);
  // Throughput from the training records: 3,000 tokens over 30 seconds.
  t.regex(html, /<th>tokens\/s<\/th><td>100<\/td>/);
});

test('a one-point series is drawn as a dot at its value', (t) => {
  const svg = lineChart([{ name: 'only', points: [[5, 0.25]] }], { title: 'x' });
  close(t, curves(svg).get('only')!, [[5, 0.25]], 'dot');
});

test('compare lists exactly the configuration keys that differ, and the final metrics per run', (t) => {
  const a = fakeRun('cmp-a', recipeToData(gptPretrainPreset), 'a');
  const b = fakeRun('cmp-b', recipeToData(configure(gptPretrainPreset, { set: { 'train.lr': '0.001', 'model.nLayers': '2' } })), 'b');
  const runs = [readRun(a), readRun(b)];
  t.deepEqual(differingKeys(runs.map(configKeys)), ['pretrain.model.nLayers', 'pretrain.optimizer.lr']);
  const md = compareMarkdown(runs);
  t.regex(md, /^\| \| cmp-a \| cmp-b \|/);
  t.regex(md, /\| pretrain\.model\.nLayers \| 4 \| 2 \|/);
  t.regex(md, /\| pretrain\.optimizer\.lr \| 0\.003 \| 0\.001 \|/);
  t.regex(md, /\| pretrain: validation_loss \| 2\.9 \| 2\.9 \|/);
  t.is(md.trim().split('\n').length, 2 + 2 + 1);
  t.deepEqual(differingKeys([{ x: 1, y: [1, 2] }, { x: 1, y: [1, 2] }]), []);
  t.deepEqual(differingKeys([{ x: 1 }, { x: 1, z: 0 }]), ['z']);
});

test('graft report and graft compare: pages written; what is not a run folder exits 2', async (t) => {
  const a = fakeRun('cli-a', recipeToData(gptPretrainPreset), 'a');
  const b = fakeRun('cli-b', recipeToData(configure(gptPretrainPreset, { set: { 'train.lr': '0.002' } })), 'b');
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
  t.is(await main(['report', a], io), 0);
  t.is(out.pop(), path.join(a, 'report.html'));
  const page = path.join(tmp, 'cmp.html');
  t.is(await main(['compare', a, b, '--out', page], io), 0);
  t.regex(readFileSync(page, 'utf8'), /<polyline data-series="cli-a"/);
  t.regex(readFileSync(page, 'utf8'), /<polyline data-series="cli-b"/);
  t.regex(readFileSync(path.join(tmp, 'cmp.md'), 'utf8'), /pretrain\.optimizer\.lr \| 0\.003 \| 0\.002/);
  const empty = mkdtempSync(path.join(tmp, 'not-a-run-'));
  t.is(await main(['report', empty], io), 2);
  t.regex(err.pop()!, /not a run folder: it has no config\.json/);
  t.is(await main(['compare', a], io), 2);
  t.regex(err.pop()!, /needs two run folders or more/);
  t.is(await main(['compare', a, empty], io), 2);
});

test('reportHtml of a run with no stage finished yet still renders', (t) => {
  const dir = path.join(tmp, 'fresh');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ preset: 'x', seed: 1, config: {} }));
  t.regex(reportHtml(readRun(dir)), /<h1>x<\/h1>/);
});
