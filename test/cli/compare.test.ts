/**
 * graft compare: the page goes where --out says (its folder made if missing), the .md next to it, and
 * every run's learning-rate curve is overlaid with the values it logged.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { configure, gptPretrainPreset, recipeToData } from '../../presets/index.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-compare-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

function fakeRun(name: string, lr: number): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'pretrain'), { recursive: true });
  const recipe = recipeToData(configure(gptPretrainPreset, { set: { 'train.lr': String(lr) } }));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ preset: 'gpt-next-token-pretrain', seed: 1, config: {}, recipe }));
  const records = [0, 10, 20].map((step) => ({ type: 'train', step, loss: 3 - step / 10, lr: lr * (1 + step / 20), tokens: step * 10, time: step }));
  writeFileSync(path.join(dir, 'pretrain', 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'pretrain', 'result.json'), JSON.stringify({ steps: 20, metrics: { validation_loss: lr * 100 } }));
  return dir;
}

/** The (step, value) points of one series of the chart titled `title`, read back through the axis scales on the chart. */
function pointsOf(html: string, title: string, series: string): [number, number][] {
  const chart = html.split('</svg>').find((c) => c.includes(`font-weight="bold">${title}</text>`))!;
  const plot = /data-plot="([^"]+)" data-x="([^"]+)" data-y="([^"]+)"/.exec(chart)!;
  const [left, top, w, h] = plot[1]!.split(',').map(Number) as [number, number, number, number];
  const [x0, x1] = plot[2]!.split(',').map(Number) as [number, number];
  const [y0, y1] = plot[3]!.split(',').map(Number) as [number, number];
  const line = new RegExp(`<polyline data-series="${series}"[^>]* points="([^"]+)"`).exec(chart)!;
  return line[1]!.split(' ').map((p) => {
    const [px, py] = p.split(',').map(Number) as [number, number];
    return [x0 + ((px - left) / w) * (x1 - x0), y0 + ((top + h - py) / h) * (y1 - y0)];
  });
}

test('compare --out into a folder that does not exist yet: page and table written, learning rates overlaid', async (t) => {
  const a = fakeRun('slow', 0.001);
  const b = fakeRun('fast', 0.004);
  const out: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: () => {} };
  const page = path.join(tmp, 'new', 'deeper', 'cmp.html');
  t.is(await main(['compare', a, b, '--out', page], io), 0);
  const md = readFileSync(path.join(tmp, 'new', 'deeper', 'cmp.md'), 'utf8');
  t.is(out.join(''), md);
  t.is(md, '| | slow | fast |\n|---|---:|---:|\n| pretrain.optimizer.lr | 0.001 | 0.004 |\n| pretrain: validation_loss | 0.1 | 0.4 |\n');
  const html = readFileSync(page, 'utf8');
  for (const [name, lr] of [['slow', 0.001], ['fast', 0.004]] as const) {
    const got = pointsOf(html, 'learning rate', name);
    const want = [0, 10, 20].map((s) => [s, lr * (1 + s / 20)]);
    t.is(got.length, 3);
    // 2-decimal pixels over a 0.007-wide axis: within 1e-6.
    got.forEach(([x, y], i) => t.true(Math.abs(x - want[i]![0]!) < 1e-3 && Math.abs(y - want[i]![1]!) < 1e-6, `${name} ${i}: ${x},${y}`));
  }
});
