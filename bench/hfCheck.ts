/**
 * `node --import=tsx bench/hfCheck.ts`: train a small GPT on Moby Dick a few steps, export it with
 * `graft export --format hf`, and have bench/hf_check.py (PyTorch, /usr/bin/python3) run GPT-2's
 * forward on the exported files: its logits and tokenizer.json's ids must equal Graft's. Prints
 * hf_check.py's JSON line; exits with its code (2 when torch is missing).
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrainer, selectBackend, silentLogger } from '../core/index.ts';
import { AdamwOptimizer, ByteBpeTokenizerPlugin, compilePattern, forEachPiece, GPT2_PATTERN, GptModel, LmHead, NextTokenObjective, TextCorpusDataset } from '../plugins/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const python = process.env.GRAFT_TORCH_PYTHON ?? '/usr/bin/python3';
const TEXT = 'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, and nothing';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'graft-hf-check-'));
try {
  await selectBackend({ prefer: 'wasm' });
  const trainer = createTrainer({
    plugins: [
      new TextCorpusDataset({ sources: ['npm:moby-dick'], maxChars: 300_000, seqLen: 64, batchSize: 8, validationFraction: 0 }),
      new ByteBpeTokenizerPlugin({ vocabSize: 1024, specials: ['pad', 'eos'] }),
      // initStd 0.2: activations large enough that a wrong detail (attention scale, GELU form, LayerNorm eps) shows far above 1e-4.
      new GptModel({ contextLength: 64, nLayers: 2, nHeads: 4, dModel: 64, dropout: 0, initStd: 0.2 }),
      new LmHead(),
      new NextTokenObjective(),
      new AdamwOptimizer({ lr: 3e-3 }),
    ],
    options: { seed: 1, maxSteps: 20 },
    logger: silentLogger(),
  });
  await trainer.setup();
  await trainer.fit();
  const ckpt = path.join(tmp, 'checkpoint');
  await trainer.save(ckpt);
  const out = path.join(tmp, 'hf');
  // The command as users run it (the bench imports only public entry points).
  let code = 0;
  try {
    execFileSync(process.execPath, ['--import=tsx', path.join(here, '..', 'cli', 'main.ts'), 'export', ckpt, '--format', 'hf', '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    code = (e as { status?: number }).status ?? 1;
  }
  if (code !== 0) throw new Error(`graft export exited ${code}`);
  const tok = trainer.role('tokenizer').tokenizer;
  const ids = Array.from(tok.encode(TEXT)).slice(0, 64);
  const text = tok.decode(ids);
  const pieces: string[] = [];
  forEachPiece(text, compilePattern(GPT2_PATTERN), (p) => pieces.push(p));
  const logits = tf.tidy(() => trainer.forward({ inputs: tf.tensor2d([ids], [1, ids.length], 'int32') }, false).logits!.arraySync() as number[][][])[0]!;
  trainer.dispose();
  const graftFile = path.join(tmp, 'graft.json');
  writeFileSync(graftFile, JSON.stringify({ text, pieces, ids, logits }));
  try {
    const line = execFileSync(python, [path.join(here, 'hf_check.py'), out, graftFile], { encoding: 'utf8' });
    process.stdout.write(line);
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    process.stdout.write(err.stdout ?? '');
    process.stderr.write(err.stderr ?? String(e));
    process.exitCode = /No module named 'torch'/.test(err.stderr ?? '') ? 2 : 1;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
