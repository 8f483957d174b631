import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraftError, selectBackend, silentLogger } from '../../core/index.ts';
import { describeText } from '../../cli/presetDocs.ts';
import { configure, gptFinetunePreset, recipePreset, runPreset } from '../../presets/index.ts';

const TINY = {
  'pretrain.steps': 3,
  'pretrain.maxChars': 60_000,
  'gpt.dataset.batchSize': 4,
  'gpt.tokenizer.vocabSize': 300,
  'model.contextLength': 16,
  'model.dModel': 16,
  'model.nLayers': 1,
  'gpt.model.nHeads': 2,
  'classifier.model.nHeads': 2,
  'task.steps': 3,
  'task.trainSize': 12,
  'classifier.dataset.batchSize': 4,
};

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});

test.serial('finetune.method=lora with its rank as a key: LoRA trains, the checkpoint holds it on its base', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-gptft-'));
  try {
    const r = configure(gptFinetunePreset, { set: { ...TINY, 'finetune.method': 'lora', 'classifier.method.rank': 2, 'classifier.checkpoint.params': 'trainable' } });
    await runPreset(recipePreset(r), {}, 2, { outDir: dir, logger: silentLogger() });
    const result = JSON.parse(readFileSync(path.join(dir, 'classifier', 'result.json'), 'utf8'));
    // Rank 2 on qkv [16, 48], proj [16, 16], fc [16, 64], proj [64, 16]: 2·(64 + 32 + 80 + 80) = 512; the head 16·2 + 2.
    t.is(result.trainable_parameters, 512 + 34);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'classifier', 'checkpoint', 'manifest.json'), 'utf8'));
    t.is(manifest.base.path, path.join(dir, 'gpt', 'checkpoint'));
    t.is(manifest.plugins['adapter:lora'].options.rank, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the method is one key: listed by describe; an unknown method or a LoRA key without LoRA is a CONFIG error', async (t) => {
  t.regex(await describeText('gpt-finetune'), /finetune\.method +.*full, lora, bitfit, linear-probe, adapters or layerwise-lr/);
  t.throws(() => configure(gptFinetunePreset, { set: { 'finetune.method': 'qlora' } }), { instanceOf: GraftError, message: /finetune\.method/ });
  t.throws(() => configure(gptFinetunePreset, { set: { 'classifier.method.rank': 2 } }), { instanceOf: GraftError });
});
