import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { firstNonFinite, readCheckpoint } from '../../core/index.ts';
import { latestCheckpoint } from '../../plugins/checkpoints/index.ts';

test('a run that diverges exits 1 naming the step and the last finite loss; its latest checkpoint is the last finite one', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'graft-cli-nonfinite-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const out = path.join(root, 'run');
  const err: string[] = [];
  const sets = ['data.maxChars=30000', 'model.nLayers=1', 'model.dModel=32', 'model.nHeads=2', 'model.contextLength=32', 'train.batchSize=4',
    'train.maxSteps=30', 'train.evalEvery=10', 'train.checkpointEvery=2', 'data.maxValidationBatches=2', 'train.lr=1e4'].flatMap((s) => ['--set', s]);
  const code = await main(['run', 'gpt-next-token-pretrain', ...sets, '--out', out, '--quiet'], { out: () => undefined, err: (s) => void err.push(s) });
  const msg = err.join('\n');
  t.is(code, 1, msg);
  t.regex(msg, /the training loss became (NaN|-?Infinity) at step \d+ \(the last finite loss was [-\d.e+]+, at step \d+\).*learning rate too high.*\[GRAFT_ERR_NON_FINITE\]/);
  const dir = path.join(out, 'pretrain', 'checkpoints');
  const latest = latestCheckpoint(dir)!;
  t.truthy(latest, `a checkpoint before the divergence: ${readdirSync(dir)}`);
  t.true(readdirSync(dir).includes(path.basename(latest)));
  // Every checkpoint left is finite (readCheckpoint also verifies checksums and refuses non-finite values).
  for (const e of readdirSync(dir).filter((e) => e.startsWith('step-'))) {
    for (const [n, a] of Object.entries(readCheckpoint(path.join(dir, e)).params)) t.is(firstNonFinite(a.data), -1, `${e}: ${n}`);
  }
});
