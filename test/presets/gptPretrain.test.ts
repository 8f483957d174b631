import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { readCheckpoint, selectBackend, silentLogger, type Trainer } from '../../core/index.ts';
import { configure, gptPretrainPreset, recipePreset, runPreset } from '../../presets/index.ts';

// The recorded losses below were computed with two roundings per multiply-add; on a CPU that fuses
// them the GEMM's default rounds once (core/backend/kernels/relaxedSimd.ts) and the last bits move.
process.env.GRAFT_WASM_FMA = '0';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-gpt-preset-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

function evals(stageDir: string): [number, number][] {
  return readFileSync(path.join(stageDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'eval')
    .map((r) => [r.step, r.validation_loss]);
}

const SMALL = {
  'data.maxChars': '60000', 'model.nLayers': '1', 'model.dModel': '32', 'model.nHeads': '2', 'model.contextLength': '32', 'train.batchSize': '8',
  'train.maxSteps': '30', 'train.evalEvery': '10', 'train.checkpointEvery': '30', 'data.maxValidationBatches': '4',
};

// The numbers the preset gave when its stages were closures over a flat configuration (commit
// fb560c2, wasm backend, seed 42): the preset as data gives them to the last bit, its sample too.
test.serial('the preset as data gives the validation losses of the closure preset, at the same settings', async (t) => {
  const out = path.join(dir, 'equal');
  const c = capture();
  const sets = Object.entries(SMALL).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  t.is(await main(['run', 'gpt-next-token-pretrain', ...sets, '--backend', 'wasm', '--quiet', '--out', out], c.io), 0, c.err.join('\n'));
  t.deepEqual(evals(path.join(out, 'pretrain')), [
    [10, 5.534196376800537],
    [20, 4.774025917053223],
    [30, 3.734376907348633],
  ]);
  const result = JSON.parse(readFileSync(path.join(out, 'pretrain/result.json'), 'utf8'));
  t.true(result.sample.startsWith('Call me Ishmael. nitocmeouleusfdlon lt n e csm ctltfi'), result.sample);
  t.is(readFileSync(path.join(out, 'pretrain/sample.txt'), 'utf8'), result.sample + '\n');
});

test.serial('--use swaps the scheduler and the optimizer: the run taps the new plugins and saves their state', async (t) => {
  await selectBackend({ prefer: 'wasm' });
  const r = configure(gptPretrainPreset, {
    use: { 'pretrain.scheduler': 'scheduler:constant', 'pretrain.optimizer': 'optimizer:sgd' },
    set: { ...SMALL, 'train.maxSteps': '4', 'train.evalEvery': '2', 'train.checkpointEvery': '4', 'sample.maxTokens': '4', 'pretrain.optimizer.lr': '0.5' },
  });
  const trace: string[] = [];
  let stop: (() => void) | undefined;
  const out = path.join(dir, 'swapped');
  await runPreset(recipePreset(r), {}, 42, {
    outDir: out,
    logger: silentLogger(),
    onTrainer: (tr: Trainer | undefined) => {
      if (tr) stop = tr.trace(trace);
      else stop?.();
    },
  });
  t.true(trace.includes('beforeOptimizerStep:scheduler:constant'), 'the constant schedule sets the rate');
  t.true(trace.includes('setup:optimizer:sgd'));
  t.false(trace.some((e) => e.endsWith(':optimizer:adamw') || e.endsWith(':scheduler:warmup-cosine')), 'the replaced parts never run');
  const { manifest } = readCheckpoint(path.join(out, 'pretrain/checkpoint'));
  t.true('optimizer:sgd' in manifest.plugins && 'scheduler:constant' in manifest.plugins);
  t.false('optimizer:adamw' in manifest.plugins);
  // The recorded recipe holds the parts swapped in, in their slots.
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  t.deepEqual(config.recipe.stages[0].use.slice(5, 7), [{ plugin: 'optimizer:sgd', options: { lr: 0.5 } }, { plugin: 'scheduler:constant' }]);
});
