import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { readCheckpoint } from '../../core/index.ts';
import { bertMlmPreset, configure, findPreset, recipeKeys } from '../../presets/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-bert-preset-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

// A few seconds: 20k characters, a 300-token BPE, one block of width 16, 16 steps.
const TINY = {
  'data.maxChars': '20000', 'data.validationFraction': '0.1', 'data.maxValidationBatches': '4', 'tokenizer.vocabSize': '300',
  'model.nLayers': '1', 'model.dModel': '16', 'model.nHeads': '2', 'model.contextLength': '16', 'train.batchSize': '8',
  'train.maxSteps': '16', 'train.evalEvery': '4', 'train.warmupSteps': '2', 'train.lr': '0.01', 'train.checkpointEvery': '16',
};

test.serial('bert-mlm-pretrain runs: validation MLM loss, perplexity and masked accuracy present, finite and sane; the loss falls', async (t) => {
  const out = path.join(dir, 'tiny');
  const c = capture();
  const sets = Object.entries(TINY).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  t.is(await main(['run', 'bert-mlm-pretrain', ...sets, '--backend', 'wasm', '--quiet', '--out', out], c.io), 0, c.err.join('\n'));
  const evals = readFileSync(path.join(out, 'pretrain/metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'eval');
  t.deepEqual(evals.map((e) => e.step), [4, 8, 12, 16]);
  const uniform = Math.log(300);
  for (const e of evals) {
    for (const k of ['validation_loss', 'validation_perplexity', 'validation_masked_accuracy']) t.true(Number.isFinite(e[k]), `${k} at step ${e.step}: ${e[k]}`);
    t.true(e.validation_loss > 0 && e.validation_loss < uniform + 0.5, `loss ${e.validation_loss}`);
    // the perplexity is over the masked tokens pooled, the loss a mean of batch means: close, not equal
    t.true(Math.abs(Math.log(e.validation_perplexity) - e.validation_loss) < 0.25, `ln ppl ${Math.log(e.validation_perplexity)} vs loss ${e.validation_loss}`);
    t.true(e.validation_masked_accuracy >= 0 && e.validation_masked_accuracy <= 1);
  }
  const [first, last] = [evals[0]!, evals.at(-1)!];
  t.true(last.validation_loss < first.validation_loss, `${first.validation_loss} → ${last.validation_loss}`);
  t.true(last.validation_loss < uniform, 'better than a uniform guess over the vocabulary');
  // the parts the recipe names, saved in the checkpoint
  const { manifest } = readCheckpoint(path.join(out, 'pretrain/checkpoint'));
  for (const p of ['model:gpt', 'head:mlm', 'objective:masked-lm', 'metric:masked-accuracy', 'tokenizer:byte-bpe', 'optimizer:adamw', 'scheduler:warmup-linear']) t.true(p in manifest.plugins, p);
  t.true(existsSync(path.join(out, 'pretrain/checkpoints/best')));
});

test('bert-mlm-pretrain is registered, described, bidirectional with a mask token, and its aliases set their keys', async (t) => {
  t.is(findPreset('bert-mlm-pretrain'), bertMlmPreset);
  const c = capture();
  t.is(await main(['describe', 'bert-mlm-pretrain'], c.io), 0, c.err.join('\n'));
  const text = c.out.join('\n');
  for (const s of ['head:mlm', 'objective:masked-lm', 'metric:masked-accuracy', 'model.segmentVocabSize', 'train.maxSteps']) t.true(text.includes(s), s);
  const keys = new Map(recipeKeys(bertMlmPreset).map((k) => [k.key, k.value]));
  t.is(keys.get('pretrain.model.causal'), false);
  t.deepEqual(keys.get('pretrain.tokenizer.specials'), ['pad', 'eos', 'mask']);
  t.deepEqual(keys.get('pretrain.dataset.sources'), ['npm:moby-dick', 'npm:sotu']);
  const r = configure(bertMlmPreset, { set: { 'model.contextLength': '32', 'model.segmentVocabSize': '2', 'train.maxSteps': '7' } });
  const set = new Map(recipeKeys(r).map((k) => [k.key, k.value]));
  t.is(set.get('pretrain.model.contextLength'), 32);
  t.is(set.get('pretrain.dataset.seqLen'), 32);
  t.is(set.get('pretrain.model.segmentVocabSize'), 2);
  t.is(set.get('pretrain.trainer.maxSteps'), 7);
});
