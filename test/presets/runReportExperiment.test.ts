/**
 * An experiment's report.html (transfer-vs-scratch's layout: lm/<stage>, runs/n<size>-s<seed>/{scratch,transfer})
 * lists every sub-run's stage, each linked to its section, and links the experiment's own files.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeReport } from '../../presets/run-report/index.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-report-exp-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

function stage(dir: string, rel: string, done: boolean): void {
  mkdirSync(path.join(dir, rel), { recursive: true });
  writeFileSync(path.join(dir, rel, 'metrics.jsonl'), JSON.stringify({ type: 'train', step: 1, loss: 1, lr: 0.1, tokens: 8, time: 1 }) + '\n');
  if (done) writeFileSync(path.join(dir, rel, 'result.json'), JSON.stringify({ stopReason: 'max-steps', steps: 1, metrics: { test_f1: 0.5 } }));
}

test('an experiment page lists its sub-runs\' stages with anchors and links results.md and the plot', (t) => {
  const dir = path.join(tmp, 'tvs');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ preset: 'transfer-vs-scratch', seed: 3, config: {} }));
  stage(dir, 'lm/general-lm', true);
  stage(dir, 'runs/n8-s1/scratch', true);
  stage(dir, 'runs/n8-s1/transfer', false);
  writeFileSync(path.join(dir, 'results.md'), '| size | F1 <b> |\n');
  writeFileSync(path.join(dir, 'f1-vs-size.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  const html = readFileSync(writeReport(dir), 'utf8');
  t.regex(html, /<p>files: <a href="results\.md">results\.md<\/a> · <a href="f1-vs-size\.svg">f1-vs-size\.svg<\/a><\/p>/);
  const listed = [...html.matchAll(/<li><a href="#([^"]+)">([^<]+)<\/a>([^<]*)<\/li>/g)].map((m) => [m[1], m[2], m[3]]);
  t.deepEqual(listed, [
    ['stage-lm-general-lm', 'lm/general-lm', ''],
    ['stage-runs-n8-s1-scratch', 'runs/n8-s1/scratch', ''],
    ['stage-runs-n8-s1-transfer', 'runs/n8-s1/transfer', ' (not complete)'],
  ]);
  // Every link points at a section of the page.
  for (const [id] of listed) t.true(html.includes(`<section id="${id}">`), id);
  // results.md is user-visible text: shown escaped.
  t.true(html.includes('| size | F1 &lt;b&gt; |'));
  t.false(/(src|href)="https?:/.test(html));
});

test('a one-stage run gets no stage list and no file links', (t) => {
  const dir = path.join(tmp, 'one');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ preset: 'x', seed: 1, config: {} }));
  stage(dir, 'pretrain', true);
  const html = readFileSync(writeReport(dir), 'utf8');
  t.false(html.includes('<h3>stages</h3>'));
  t.false(html.includes('files:'));
  t.true(html.includes('<section id="stage-pretrain">'));
});
