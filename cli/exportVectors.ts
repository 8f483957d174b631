import { existsSync, statSync } from 'node:fs';
import { clip, ErrorCodes, GraftError, readCheckpoint, resolveCheckpointDir, type Tokenizer } from '../core/index.ts';
import { gloveText } from '../plugins/callbacks/export-vectors/gloveText.ts';
import { specialIds } from '../plugins/tokenizers/specialIds.ts';
import { vocabularyOf } from '../plugins/init/shared/vocabularyOf.ts';
import { loadTokenizer } from '../plugins/tokenizers/loadTokenizer.ts';
import { writeTextAtomic } from '../presets/runner/writeAtomic.ts';
import type { ParsedArgs } from './args.ts';
import { resolveCheckpointTarget } from './checkpointTarget.ts';
import type { Io } from './main.ts';

/** Word vectors held in a checkpoint: the embedding rows and the token string of each. */
export interface CheckpointVectors {
  dir: string;
  tokenizer: Tokenizer;
  /** Token strings in id order. */
  vocab: string[];
  /** Row-major [vocab.length, dim]. */
  matrix: Float32Array;
  dim: number;
  /** Ids that are not words (special tokens). */
  specials: Set<number>;
}

/**
 * The checkpoint `arg` names: a checkpoint folder, or a run folder (the final checkpoint of its
 * last completed stage, as `graft eval` reads it). Usage errors name the folder.
 */
export async function checkpointDirOf(command: string, arg: string | undefined): Promise<string> {
  if (!arg) throw new GraftError(ErrorCodes.USAGE, `"graft ${command}" needs a checkpoint folder or a run folder`);
  if (existsSync(arg) && statSync(arg).isDirectory() && resolveCheckpointDir(arg) !== undefined) return arg;
  return (await resolveCheckpointTarget(command, arg, undefined)).dir;
}

/**
 * Read parameter `param` [V, dim] of checkpoint `dir` and the tokenizer its manifest holds (the
 * state of its tokenizer plugin), checked against each other; no trainer is built.
 */
export function checkpointVectors(dir: string, param: string): CheckpointVectors {
  const data = readCheckpoint(dir);
  const arr = data.params[param];
  if (!arr) {
    throw new GraftError(ErrorCodes.USAGE, `the checkpoint has no parameter "${clip(param)}"`, {
      file: data.dir,
      expected: `one of ${Object.keys(data.params).slice(0, 8).join(', ')}${Object.keys(data.params).length > 8 ? ', ...' : ''}`,
    });
  }
  const tokState = Object.values(data.manifest.plugins).find((p) => p.kind === 'tokenizer' && p.state !== undefined)?.state;
  if (tokState === undefined) {
    throw new GraftError(ErrorCodes.USAGE, 'the checkpoint holds no tokenizer, so its rows have no words', { file: data.dir, hint: 'Export a checkpoint of a recipe with a tokenizer plugin (tokenizer:word)' });
  }
  const tokenizer = loadTokenizer(tokState);
  if (arr.shape.length !== 2 || arr.shape[0] !== tokenizer.vocabSize || arr.dtype !== 'float32') {
    throw new GraftError(ErrorCodes.USAGE, `parameter "${clip(param)}" is ${arr.dtype} [${arr.shape}]`, {
      file: data.dir,
      expected: `float32 [${tokenizer.vocabSize}, dim]: one row per token of the checkpoint's tokenizer`,
    });
  }
  return { dir: data.dir, tokenizer, vocab: vocabularyOf(tokenizer), matrix: arr.data as Float32Array, dim: arr.shape[1]!, specials: specialIds(tokenizer) };
}

/**
 * `graft export-vectors <checkpoint|run-dir> --out FILE [--param backbone.tokEmbed]`: the
 * embedding as GloVe text (special tokens left out), written atomically; what
 * `init:pretrained-embeddings` reads and `graft neighbours` looks words up in.
 */
export async function exportVectorsCommand(args: ParsedArgs, io: Io): Promise<number> {
  const [target, extra] = args.positional;
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  const out = args.flags.out;
  if (typeof out !== 'string' || out === '') throw new GraftError(ErrorCodes.USAGE, '"graft export-vectors" needs --out FILE, the GloVe text file to write');
  const param = args.flags.param === undefined ? 'backbone.tokEmbed' : args.flags.param;
  if (typeof param !== 'string' || param === '') throw new GraftError(ErrorCodes.USAGE, '--param needs a parameter name');
  const v = checkpointVectors(await checkpointDirOf('export-vectors', target), param);
  const res = gloveText(v.vocab, v.matrix, v.dim, v.specials);
  writeTextAtomic(out, res.text);
  const left = res.unwritable.length ? `; ${res.unwritable.length} token(s) with whitespace left out` : '';
  io.err(`graft: ${res.written} word vectors of dimension ${v.dim} written to ${out} (${v.specials.size} special tokens left out${left})`);
  return 0;
}
