import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrainer, readCheckpoint, Rng, silentLogger, type CheckpointData } from '../../../core/index.ts';
import { latestCheckpoint, readLatest } from '../../../plugins/checkpoints/index.ts';
import { toyPlugins } from '../../helpers/toy.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(here, 'fixtures', 'saveLoop.ts');
const ROUNDS = 4;

test.before(async () => {
  await tf.setBackend('cpu');
});

/** Start the saving child, wait until it has saved `minSaves` times, let it run `delayMs` more, SIGKILL it. */
function runAndKill(dir: string, minSaves: number, delayMs: number): Promise<{ saves: number; lastLine: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', SCRIPT, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let saves = 0;
    let lastLine = '';
    let timer: NodeJS.Timeout | undefined;
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.stdout.on('data', (d: Buffer) => {
      const lines = String(d).split('\n').filter((l) => l.startsWith('sav'));
      saves += lines.filter((l) => l.startsWith('saved ')).length;
      if (lines.length) lastLine = lines[lines.length - 1]!;
      if (saves >= minSaves && !timer) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${err.slice(-2000)}`));
      else resolve({ saves, lastLine });
    });
  });
}

/** The parameters file and the manifest agree: same names and shapes, finite values, same step. */
function checkConsistent(t: import('ava').ExecutionContext, data: CheckpointData, label: string): void {
  const inManifest = Object.keys(data.manifest.params).sort();
  t.deepEqual(Object.keys(data.params).sort(), inManifest, `${label}: parameter names`);
  for (const [name, a] of Object.entries(data.params)) {
    t.is(a.data.length, a.shape.reduce((x, y) => x * y, 1), `${label}: ${name} size`);
    t.true(a.data.every(Number.isFinite), `${label}: ${name} finite`);
  }
  t.is(data.params['probe.step']!.data[0], data.manifest.state.step, `${label}: the parameters are those of the manifest's step`);
}

/** Kill a child saving into `dir` `rounds` times (each round a new child over the last one's leftovers), checking after each. */
async function lane(t: import('ava').ExecutionContext, dir: string, rng: Rng, name: string, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const delay = 50 + rng.int(351);
    // Two direct saves: the periodic save of step 1, which comes after the first, is complete too.
    const { saves, lastLine } = await runAndKill(dir, 2, delay);
    const where = lastLine.startsWith('saving') ? 'during a direct save' : 'between direct saves';
    const label = `${name} round ${round} (killed ${delay} ms after the second save, ${where}, ${saves} saves)`;

    const direct = readCheckpoint(path.join(dir, 'direct'));
    checkConsistent(t, direct, `${label} direct`);
    t.true(direct.manifest.state.step >= 1);

    const pointer = readLatest(path.join(dir, 'periodic'))!;
    const periodic = readCheckpoint(latestCheckpoint(path.join(dir, 'periodic'))!);
    checkConsistent(t, periodic, `${label} periodic`);
    t.is(periodic.manifest.state.step, pointer.step, 'latest.json points at the checkpoint of its step');

    // The weights load into a fresh trainer and give a finite loss.
    const tr = createTrainer({ plugins: toyPlugins({ batches: 8 }), logger: silentLogger() });
    await tr.setup();
    tr.params.create('probe.step', [1], new Float32Array([0]), { role: 'buffer', owner: 'test' });
    await tr.load(path.join(dir, 'direct'));
    t.is(tr.state.step, direct.manifest.state.step);
    t.deepEqual(tr.params.get('backbone.embed').dataSync(), direct.params['backbone.embed']!.data);
    const loss = (await tr.evaluate()).validation_loss!;
    t.true(Number.isFinite(loss), `${label}: loss ${loss}`);
    tr.dispose();
    t.log(`${label}: checkpoint at step ${direct.manifest.state.step}, latest periodic ${pointer.step}`);
  }
}

test('a checkpoint survives SIGKILL at any moment of repeated saves', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'graft-kill-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  // Two folders killed in parallel (child start-up dominates the time), each killed twice so
  // the second child also has to cope with what the first left behind.
  await Promise.all([0, 1].map((i) => lane(t, path.join(root, `lane-${i}`), new Rng(2024 + i), `lane ${i}`, ROUNDS / 2)));
});
