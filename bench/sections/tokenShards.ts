/**
 * dataset:token-shards on a corpus larger than what a process should hold: generate GBs of text
 * by repeating the shipped corpora (Moby Dick and the State of the Union addresses, split into
 * paragraphs, every repetition in a new seeded shuffle of the paragraphs), tokenize it once into
 * shards (tokens/s), then stream training windows from the shards (input-pipeline tokens/s) with
 * the process's RSS sampled throughout, against the training step of the bench's GPT size on the
 * same data. Everything generated lives in a temporary folder, removed at the end.
 *
 *   npm run bench -- --only token-shards [--gb 2] [--stream-s 60] [--steps 5] [--shard-tokens 16777216]
 */
import * as tf from '@tensorflow/tfjs-core';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTrainer, Rng, silentLogger } from '../../core/index.ts';
import { AdamwOptimizer, ByteBpeTokenizer, ByteBpeTokenizerPlugin, GptModel, LmHead, loadMobyDick, loadSotu, NextTokenObjective, tokenizeToShards, TokenShardsDataset } from '../../plugins/index.ts';
import { REFERENCE_CONFIG } from '../config.ts';
import { graftSteps, useBackend } from '../measure.ts';
import { StepProbe } from '../plugins/StepProbe.ts';
import { median } from '../lib/stats.ts';

export interface TokenShardsBenchOptions {
  /** Size of the generated corpus in bytes. */
  bytes: number;
  /** Seconds to stream windows for (at most one epoch). */
  streamSeconds: number;
  /** Training steps timed (after 2 warm-up steps). */
  steps: number;
  vocabSize: number;
  shardTokens: number;
  seed: number;
}

export interface RssSample {
  /** Seconds since the phase began. */
  t: number;
  mb: number;
}

export interface TokenShardsBenchResult {
  corpus: { bytes: number; files: number; paragraphs: number; repetitions: number; generateS: number; how: string };
  tokenizer: { type: string; vocabSize: number; fittedOnChars: number };
  tokenize: { tokens: number; shards: number; dtype: string; shardBytes: number; seconds: number; tokensPerS: number; bytesPerS: number; rssMaxMb: number };
  /** trainer.setup(): the model built, the tokenizer loaded, the shards opened and every shard's SHA-256 checked. */
  setup: { seconds: number; shardBytesPerS: number };
  stream: {
    seqLen: number;
    batchSize: number;
    batches: number;
    tokens: number;
    seconds: number;
    tokensPerS: number;
    trainWindows: number;
    rssStartMb: number;
    rssMaxMb: number;
    rssEndMb: number;
    rssSamples: RssSample[];
  };
  trainStep: { model: string; backend: string; steps: number; stepMs: number; tokensPerS: number };
  /** Input pipeline tokens/s over the training step's: how many times faster the data comes than it is used. */
  pipelineOverStep: number;
  /** Largest RSS while streaming over the corpus size on disk. */
  rssOverCorpus: number;
}

const MB = 1 << 20;
const rssMb = () => process.memoryUsage.rss() / MB;

/** The units of the shuffle: Moby Dick's paragraphs (blank-line separated) and the State of the Union speeches (they have no line breaks: one unit each). */
function paragraphs(): string[] {
  const split = (texts: string[], re: RegExp) => texts.flatMap((t) => t.split(re)).map((p) => p.trim()).filter((p) => p.length > 0);
  return [...split(loadMobyDick('bench').map((d) => d.text), /\n\s*\n/), ...split(loadSotu('bench').map((d) => d.text), /\n+/)];
}

/**
 * Write `bytes` of text into files of ~256 MiB under `dir`: repetition r of the paragraphs in the
 * order `Rng(seed).fork('rep:r').permutation`, paragraphs joined by a blank line. Streamed: one
 * repetition's text at a time.
 */
function generateCorpus(dir: string, paras: string[], bytes: number, seed: number): { files: number; repetitions: number; bytes: number } {
  const perFile = 256 * MB;
  let written = 0;
  let files = 0;
  let inFile = 0;
  let fd = -1;
  let r = 0;
  const open = () => {
    if (fd >= 0) closeSync(fd);
    fd = openSync(path.join(dir, `part-${String(files++).padStart(4, '0')}.txt`), 'w');
    inFile = 0;
  };
  open();
  for (; written < bytes; r++) {
    const perm = new Rng(seed).fork(`rep:${r}`).permutation(paras.length);
    for (let i = 0; i < perm.length && written < bytes; i += 512) {
      const chunk = Buffer.from(Array.from(perm.subarray(i, i + 512), (k) => paras[k]!).join('\n\n') + '\n\n', 'utf8');
      if (inFile >= perFile) open();
      writeSync(fd, chunk);
      written += chunk.length;
      inFile += chunk.length;
    }
  }
  closeSync(fd);
  return { files, repetitions: r, bytes: written };
}

export async function tokenShardsBench(o: TokenShardsBenchOptions, log: (s: string) => void = () => undefined): Promise<TokenShardsBenchResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'graft-bench-shards-'));
  try {
    const corpusDir = path.join(tmp, 'corpus');
    const shardsDir = path.join(tmp, 'shards');
    const paras = paragraphs();
    let t = performance.now();
    mkdirSync(corpusDir);
    const gen = generateCorpus(corpusDir, paras, o.bytes, o.seed);
    const generateS = (performance.now() - t) / 1000;
    log(`bench: token-shards: ${(gen.bytes / 1e9).toFixed(2)} GB of text in ${gen.files} files (${gen.repetitions} shuffled repetitions) in ${generateS.toFixed(0)} s`);

    // A byte-level BPE fitted on the first 2M characters of each shipped corpus (the fit is not what is measured).
    const fitText = [loadMobyDick('bench').map((d) => d.text).join('\n\n').slice(0, 2_000_000), loadSotu('bench').map((d) => d.text).join('\n\n').slice(0, 2_000_000)];
    const tokenizer = ByteBpeTokenizer.fit(fitText, { vocabSize: o.vocabSize, specials: ['pad', 'eos'] });
    const tokFile = path.join(tmp, 'tokenizer.json');
    writeFileSync(tokFile, JSON.stringify(tokenizer.toJSON()));

    let rssMaxTok = rssMb();
    let lastLog = performance.now();
    t = performance.now();
    const r = tokenizeToShards({
      sources: [corpusDir],
      tokenizer,
      out: shardsDir,
      shardTokens: o.shardTokens,
      onProgress: ({ chars, tokens }) => {
        rssMaxTok = Math.max(rssMaxTok, rssMb());
        const now = performance.now();
        if (now - lastLog > 30_000) {
          lastLog = now;
          log(`bench: token-shards: ${(chars / 1e6).toFixed(0)}M characters, ${(tokens / 1e6).toFixed(0)}M tokens, RSS ${rssMb().toFixed(0)} MB`);
        }
      },
    });
    const tokS = (performance.now() - t) / 1000;
    const m = r.manifest;
    const shardBytes = m.totalTokens * (m.dtype === 'uint16' ? 2 : 4);
    log(`bench: token-shards: ${m.totalTokens} tokens in ${m.shards.length} shards in ${tokS.toFixed(0)} s (${Math.round(m.totalTokens / tokS)} tokens/s)`);

    await useBackend('wasm');
    const c = REFERENCE_CONFIG;
    const ds = new TokenShardsDataset({ dir: shardsDir, seqLen: c.contextLength, batchSize: c.batchSize, validationShards: 1, maxValidationBatches: 4 });
    const probe = new StepProbe({ maxLosses: Infinity });
    const trainer = createTrainer({
      plugins: [
        ds,
        new ByteBpeTokenizerPlugin({ from: tokFile }),
        new GptModel({ contextLength: c.contextLength, nLayers: c.nLayers, nHeads: c.nHeads, dModel: c.dModel, dropout: 0 }),
        new LmHead({ tied: true }),
        new NextTokenObjective(),
        new AdamwOptimizer({ ...c.adam }),
        probe,
      ],
      options: { seed: o.seed, epochs: 1, maxSteps: 0 },
      logger: silentLogger(),
    });
    try {
      t = performance.now();
      await trainer.setup(); // opens the shards and checks every SHA-256
      const verifyS = (performance.now() - t) / 1000;

      // The input pipeline alone: batches as the trainer gets them (tensors made and freed), RSS sampled.
      const samples: RssSample[] = [];
      const rssStart = rssMb();
      let rssMax = rssStart;
      let batches = 0;
      const limitMs = o.streamSeconds * 1000;
      t = performance.now();
      for (const b of ds.batches('train', { epoch: 0 })) {
        tf.dispose(Object.values(b));
        batches++;
        if (batches % 2000 === 0) {
          const mb = rssMb();
          rssMax = Math.max(rssMax, mb);
          const el = performance.now() - t;
          samples.push({ t: el / 1000, mb });
          if (el > limitMs) break;
        }
      }
      const streamS = (performance.now() - t) / 1000;
      const rssEnd = rssMb();
      rssMax = Math.max(rssMax, rssEnd);
      const streamTokens = batches * c.batchSize * c.contextLength;
      log(`bench: token-shards: streamed ${batches} batches (${Math.round(streamTokens / streamS)} tokens/s), RSS ${rssStart.toFixed(0)} → max ${rssMax.toFixed(0)} MB`);

      // The training step at the bench GPT's size on these batches.
      await graftSteps(trainer, probe, 2);
      const times = await graftSteps(trainer, probe, o.steps);
      const stepMs = median(times.wall);
      const stepTokens = (c.batchSize * c.contextLength * 1000) / stepMs;
      const tokensPerS = streamTokens / streamS;
      return {
        corpus: { bytes: gen.bytes, files: gen.files, paragraphs: paras.length, repetitions: gen.repetitions, generateS, how: 'the paragraphs of npm:moby-dick and npm:sotu, each repetition in a seeded shuffle (Rng(seed).fork(rep:r).permutation)' },
        tokenizer: { type: 'byte-bpe', vocabSize: tokenizer.vocabSize, fittedOnChars: fitText.reduce((n, s) => n + s.length, 0) },
        tokenize: { tokens: m.totalTokens, shards: m.shards.length, dtype: m.dtype, shardBytes, seconds: tokS, tokensPerS: m.totalTokens / tokS, bytesPerS: gen.bytes / tokS, rssMaxMb: rssMaxTok },
        setup: { seconds: verifyS, shardBytesPerS: shardBytes / verifyS },
        stream: {
          seqLen: c.contextLength,
          batchSize: c.batchSize,
          batches,
          tokens: streamTokens,
          seconds: streamS,
          tokensPerS,
          trainWindows: ds.trainWindows(),
          rssStartMb: rssStart,
          rssMaxMb: rssMax,
          rssEndMb: rssEnd,
          rssSamples: samples,
        },
        trainStep: {
          model: `GPT ${c.nLayers} layers, ${c.nHeads} heads, width ${c.dModel}, context ${c.contextLength}, batch ${c.batchSize}, vocab ${tokenizer.vocabSize}, tied head, AdamW`,
          backend: 'wasm (1 thread)',
          steps: times.wall.length,
          stepMs,
          tokensPerS: stepTokens,
        },
        pipelineOverStep: tokensPerS / stepTokens,
        rssOverCorpus: (rssMax * MB) / gen.bytes,
      };
    } finally {
      trainer.dispose();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `--gb N`, `--stream-s S`, `--steps N`, `--shard-tokens N` after `--only token-shards`. */
export function parseTokenShardsArgs(argv: readonly string[]): TokenShardsBenchOptions {
  const o: TokenShardsBenchOptions = { bytes: 2e9, streamSeconds: 60, steps: 5, vocabSize: 4096, shardTokens: 1 << 24, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`bench: ${a} needs a positive number`);
    if (a === '--gb') o.bytes = v * 1e9;
    else if (a === '--stream-s') o.streamSeconds = v;
    else if (a === '--steps') o.steps = Math.round(v);
    else if (a === '--shard-tokens') o.shardTokens = Math.round(v);
    else throw new Error(`bench: unknown argument '${a}' for --only token-shards; expected --gb, --stream-s, --steps, --shard-tokens`);
  }
  return o;
}
