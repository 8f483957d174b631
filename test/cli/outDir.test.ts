import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { acquireRunLock, readRunLock } from '../../presets/runner/runLock.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'graft-out-'));

/** Every file under `dir` with its content and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true }) as string[]) {
    const f = path.join(dir, e);
    const s = statSync(f);
    out[e] = s.isDirectory() ? 'dir' : `${readFileSync(f, 'utf8')} @${s.mtimeMs}`;
  }
  return out;
}

test('--out at a file exits 2 and writes nothing', async (t) => {
  const root = tmp();
  const file = path.join(root, 'notes.txt');
  writeFileSync(file, 'my notes');
  const before = snapshot(root);
  for (const out of [file, path.join(file, 'run')]) {
    const c = capture();
    t.is(await main(['run', 'gpt-next-token-pretrain', '--out', out], c.io), 2, out);
    t.regex(c.err.join('\n'), /GRAFT_ERR_USAGE/);
    t.true(c.err.join('\n').includes(out));
  }
  t.deepEqual(snapshot(root), before, 'no log file, no folder');
});

test('--out at an unrelated non-empty folder exits 2 and writes nothing', async (t) => {
  const root = tmp();
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src', 'index.ts'), 'export {};');
  writeFileSync(path.join(root, 'package.json'), '{}');
  const before = snapshot(root);
  const c = capture();
  t.is(await main(['run', 'gpt-next-token-pretrain', '--out', root], c.io), 2);
  t.regex(c.err.join('\n'), /not a Graft run folder.*choose an empty or new folder.*\[GRAFT_ERR_USAGE\]/i);
  t.deepEqual(snapshot(root), before);
});

test('a run folder in use by another process: exit 2 naming the holder; its files are untouched', async (t) => {
  const run = tmp();
  writeFileSync(path.join(run, 'config.json'), JSON.stringify({ preset: 'gpt-next-token-pretrain', seed: 42, config: {}, created: 'x' }));
  mkdirSync(path.join(run, 'pretrain'));
  writeFileSync(path.join(run, 'pretrain', 'metrics.jsonl'), '{"step":1}\n');
  writeFileSync(path.join(run, 'log.jsonl'), '{"message":"holder"}\n');
  const lock = acquireRunLock(run, { command: 'graft run gpt-next-token-pretrain (the other one)' });
  t.teardown(() => lock.release());
  const before = snapshot(run);
  const c = capture();
  t.is(await main(['run', 'gpt-next-token-pretrain', '--out', run, '--quiet'], c.io), 2);
  const msg = c.err.join('\n');
  t.regex(msg, /in use by another Graft process/);
  t.true(msg.includes(`pid ${process.pid}`) && msg.includes(hostname()) && msg.includes(lock.holder.started), msg);
  t.regex(msg, /\[GRAFT_ERR_LOCKED\]/);
  t.deepEqual(snapshot(run), before, 'config.json, metrics and the log are as they were');
  t.deepEqual(readRunLock(run), lock.holder);
});
