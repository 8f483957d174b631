import test from 'ava';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  createLogger,
  createTrainer,
  ErrorCodes,
  GraftError,
  formatWriterTag,
  parseWriterTag,
  readCheckpoint,
  resolveCheckpointDir,
  silentLogger,
  writeDirAtomic,
} from '../../core/index.ts';
import { writeJsonAtomic } from '../../presets/runner/runPreset.ts';
import { toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const tmp = () => mkdtempSync(path.join(tmpdir(), 'graft-atomic-'));
const host = hostname();

/** The pid of a process that has exited (so is dead). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

function tagFor(pid: number, time: number, h: string | undefined = host): string {
  return formatWriterTag({ pid, time, seq: 0, host: h });
}

function leftover(root: string, name: string, content = 'x'): string {
  const d = path.join(root, name);
  mkdirSync(d);
  writeFileSync(path.join(d, 'manifest.json'), content);
  return d;
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

test('tags name pid, time and host; old tags (pid-time) still parse', (t) => {
  const tg = parseWriterTag(tagFor(123, 1_700_000_000_000, 'node-7.example.org'))!;
  t.deepEqual(tg, { pid: 123, time: 1_700_000_000_000, seq: 0, host: 'node-7.example.org' });
  t.like(parseWriterTag(`42-${(1_600_000_000_000).toString(36)}`), { pid: 42, time: 1_600_000_000_000, host: undefined });
  t.is(parseWriterTag('x'), undefined);
});

test("a save never deletes a live process's temporary folder, nor another machine's; a dead one's (and .old-* of finished saves) are removed", async (t) => {
  const root = tmp();
  const dir = path.join(root, 'best');
  // A live process (a sleeping child) with a save in progress here.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  const now = Date.now();
  const live = leftover(root, `best.tmp-${tagFor(child.pid!, now)}`, 'live half-written');
  const liveOld = leftover(root, `best.old-${tagFor(child.pid!, now)}`, 'live old');
  const foreign = leftover(root, `best.tmp-${tagFor(child.pid!, now, 'some-other-machine')}`);
  const dead = deadPid();
  const deadTmp = leftover(root, `best.tmp-${tagFor(dead, now - 5000)}`);
  const deadOld = leftover(root, `best.old-${tagFor(dead, now - 5000)}`);
  const unrelated = leftover(root, `bestx.tmp-${tagFor(dead, now)}`);
  await writeDirAtomic(dir, { 'manifest.json': 'v1' });
  await writeDirAtomic(dir, { 'manifest.json': 'v2' });
  t.is(readFileSync(path.join(dir, 'manifest.json'), 'utf8'), 'v2');
  t.is(readFileSync(path.join(live, 'manifest.json'), 'utf8'), 'live half-written', "the live writer's temporary folder is untouched");
  t.true(existsSync(liveOld));
  t.true(existsSync(foreign), "another machine's folder is left alone");
  t.false(existsSync(deadTmp), "a dead writer's temporary folder is removed");
  t.false(existsSync(deadOld), "a dead writer's old folder (best.old-*) is removed");
  t.true(existsSync(unrelated), 'other names are not touched');
  t.deepEqual(readdirSync(root).filter((f) => f.includes(`-${process.pid}-`) || f.startsWith(`best.tmp-${process.pid}-`) || f.startsWith(`best.old-${process.pid}-`)), [], 'our own save leaves nothing behind');
});

test('resolveCheckpointDir picks the newest complete .old-* by time, not by the text of its name', (t) => {
  const root = tmp();
  const dir = path.join(root, 'ck');
  const t0 = Date.UTC(2026, 0, 1);
  // Text order: "ck.old-10-..." < "ck.old-9-..." sorts pid 9 last; time order: pid 10's is newer.
  leftover(root, `ck.old-${tagFor(9, t0)}`, 'older');
  leftover(root, `ck.old-${tagFor(10, t0 + 60_000)}`, 'newer');
  mkdirSync(path.join(root, `ck.old-${tagFor(11, t0 + 120_000)}`)); // newest, but incomplete (no manifest)
  t.is(readFileSync(path.join(resolveCheckpointDir(dir)!, 'manifest.json'), 'utf8'), 'newer');

  // Names without a time: their modification time decides.
  const root2 = tmp();
  const a = leftover(root2, 'ck.old-a', 'a');
  const b = leftover(root2, 'ck.old-b', 'b');
  utimesSync(a, new Date(t0 + 10_000), new Date(t0 + 10_000));
  utimesSync(b, new Date(t0), new Date(t0));
  t.is(readFileSync(path.join(resolveCheckpointDir(path.join(root2, 'ck'))!, 'manifest.json'), 'utf8'), 'a');
  // The folder itself, when complete, wins.
  leftover(root2, 'ck', 'current');
  t.is(resolveCheckpointDir(path.join(root2, 'ck')), path.join(root2, 'ck'));
});

test('a write failing with ENOSPC removes its temporary folder, keeps the earlier checkpoint, and throws GRAFT_ERR_IO naming the path and size', async (t) => {
  const root = tmp();
  const dir = path.join(root, 'step-4');
  await writeDirAtomic(dir, { 'params.bin': 'v1 params', 'manifest.json': 'v1' });
  const params = Buffer.alloc(3000, 7);
  let written = 0;
  const e = await t.throwsAsync(
    () =>
      writeDirAtomic(dir, { 'params.bin': params, 'manifest.json': 'v2' }, {
        writeFile: async (file, content) => {
          writeFileSync(file, (content as Buffer).subarray(0, 1000)); // part of it lands, then the disk is full
          written += 1000;
          throw enospc();
        },
      }),
    { instanceOf: GraftError },
  );
  t.is(written, 1000);
  t.is(e.code, ErrorCodes.IO);
  t.false(e.isUsageError);
  t.true(e.message.includes(dir), e.message);
  t.regex(e.message, /could not write params\.bin: no space left on the device \(ENOSPC\)/);
  t.regex(e.message, /this write needs 2\.9 kB \(3002 bytes\)/);
  t.regex(e.message, /earlier checkpoints are kept/);
  t.deepEqual(readdirSync(root), ['step-4'], 'no temporary or old folder is left');
  t.is(readFileSync(path.join(dir, 'manifest.json'), 'utf8'), 'v1');
  t.is(readFileSync(path.join(dir, 'params.bin'), 'utf8'), 'v1 params');
  // The space is free again: the next save goes through at once.
  await writeDirAtomic(dir, { 'params.bin': params, 'manifest.json': 'v2' });
  t.is(readFileSync(path.join(dir, 'manifest.json'), 'utf8'), 'v2');
  t.deepEqual(readdirSync(root), ['step-4']);
});

test('writeJsonAtomic: a failed write leaves no temporary file and throws GRAFT_ERR_IO', (t) => {
  const root = tmp();
  const file = path.join(root, 'result.json');
  mkdirSync(file); // a folder in the way: the rename fails
  writeFileSync(path.join(file, 'keep'), 'x');
  const e = t.throws(() => writeJsonAtomic(file, { a: 1 }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.IO);
  t.true(e.message.includes(file));
  t.deepEqual(readdirSync(root), ['result.json']);
  writeJsonAtomic(path.join(root, 'ok.json'), { a: 1 });
  t.deepEqual(JSON.parse(readFileSync(path.join(root, 'ok.json'), 'utf8')), { a: 1 });
});

test('a log file that cannot be written is a GRAFT_ERR_IO report, not a crash; logging goes on', async (t) => {
  const root = tmp();
  writeFileSync(path.join(root, 'afile'), 'x');
  const errors: GraftError[] = [];
  const logger = createLogger({ file: path.join(root, 'afile', 'log.jsonl'), console: false, onFileError: (e) => void errors.push(e) });
  logger.info('one');
  await new Promise((r) => setTimeout(r, 200));
  logger.info('two'); // would raise an unhandled 'write after end' without the handler
  logger.warn('three');
  await new Promise((r) => setTimeout(r, 200));
  t.is(errors.length, 1);
  t.is(errors[0]!.code, ErrorCodes.IO);
  t.true(errors[0]!.message.includes(path.join(root, 'afile', 'log.jsonl')));
});

// A real full disk, where the machine allows mounting a small tmpfs (root in a container, say).
test.serial('a real ENOSPC on a tiny tmpfs: trainer.save fails coded, leaves no temp folder, the earlier checkpoint loads', async (t) => {
  const mnt = tmp();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    t.log('mounting a tmpfs is not permitted here; the injected-ENOSPC test covers this');
    t.pass();
    return;
  }
  t.teardown(() => {
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const trainer = createTrainer({ plugins: toyPlugins({ batches: 2 }), options: { seed: 1, epochs: 1 }, logger: silentLogger() });
  t.teardown(() => trainer.dispose());
  const dir = path.join(mnt, 'checkpoints', 'ck');
  await trainer.save(dir);
  const size = readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  // Leave less room than one more checkpoint needs.
  const filler = path.join(mnt, 'filler');
  let fill = 0;
  try {
    for (;;) {
      writeFileSync(filler, Buffer.alloc(4096), { flag: 'a' });
      fill += 4096;
    }
  } catch {
    // full
  }
  rmSync(filler);
  writeFileSync(filler, Buffer.alloc(Math.max(0, fill - Math.floor(size / 2))));
  await trainer.fit();
  const e = await t.throwsAsync(() => trainer.save(dir), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.IO);
  t.regex(e.message, /ENOSPC/);
  t.true(e.message.includes(dir));
  t.deepEqual(readdirSync(path.dirname(dir)), ['ck'], 'no temporary folder keeps the disk full');
  t.is(readCheckpoint(dir).manifest.state.step, 0, 'the earlier checkpoint is intact');
  rmSync(filler);
  await trainer.save(dir);
  t.is(readCheckpoint(dir).manifest.state.step, 2);
});
