import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { clip, encodeSafetensors, ErrorCodes, GraftError, readCheckpoint, writeDirAtomic, type Tokenizer } from '../core/index.ts';
import { loadTokenizer } from '../plugins/tokenizers/loadTokenizer.ts';
import type { ParsedArgs } from './args.ts';
import { checkpointDirOf } from './exportVectors.ts';
import { gptToHf } from './hf/gpt2Export.ts';
import { hfSpecialTokens, hfTokenizerJson } from './hf/hfTokenizer.ts';
import type { Io } from './main.ts';

/** The files of a Hugging Face export folder, by name. */
export type HfFiles = Record<string, Buffer | string>;

/**
 * The Hugging Face files of checkpoint `dir` (read and verified by `readCheckpoint`; an
 * adapter-only checkpoint reads through its base, `base` if it moved): `model.safetensors` (GPT-2
 * names, metadata format "pt" as transformers requires), `config.json` (GPT2Config), and for a
 * byte-bpe tokenizer `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`.
 * `notes` collects what was left out (a tokenizer with no exact byte-level form).
 */
export function hfExportFiles(dir: string, base?: string): { files: HfFiles; notes: string[]; tensors: number } {
  const data = readCheckpoint(dir, base !== undefined ? { base } : {});
  const { tensors, config } = gptToHf(data.params, data.manifest.plugins, data.dir);
  const notes: string[] = [];
  const files: HfFiles = {};
  const tokState = Object.values(data.manifest.plugins ?? {}).find((p) => p.kind === 'tokenizer' && p.state !== undefined)?.state;
  const tok: Tokenizer | undefined = tokState === undefined ? undefined : loadTokenizer(tokState);
  if (tok) {
    if (tok.specials.bos !== undefined) config.bos_token_id = tok.specials.bos;
    if (tok.specials.eos !== undefined) config.eos_token_id = tok.specials.eos;
    if (tok.specials.pad !== undefined) config.pad_token_id = tok.specials.pad;
    try {
      files['tokenizer.json'] = JSON.stringify(hfTokenizerJson(tok), null, 2) + '\n';
      const specials = hfSpecialTokens(tok);
      files['special_tokens_map.json'] = JSON.stringify(specials, null, 2) + '\n';
      const ctx = config.n_positions as number;
      files['tokenizer_config.json'] = JSON.stringify({ tokenizer_class: 'GPT2TokenizerFast', model_max_length: ctx, add_prefix_space: false, ...specials }, null, 2) + '\n';
    } catch (e) {
      if (!(e instanceof GraftError)) throw e;
      notes.push(`no tokenizer.json: ${e.summary}${e.details.hint ? ` (${e.details.hint})` : ''}`);
    }
  } else notes.push('no tokenizer.json: the checkpoint holds no tokenizer');
  files['config.json'] = JSON.stringify(config, null, 2) + '\n';
  files['model.safetensors'] = encodeSafetensors(tensors, { format: 'pt' });
  return { files, notes, tensors: Object.keys(tensors).length };
}

/**
 * `graft export <checkpoint|run-dir> --format hf --out DIR [--base DIR]`: a GPT checkpoint as a
 * Hugging Face GPT2LMHeadModel folder (`hfExportFiles`), written atomically. A checkpoint that
 * does not map exactly (LoRA not merged, a BERT-style model, segments, another head) is refused
 * with the reason and nothing is written.
 */
export async function exportCommand(args: ParsedArgs, io: Io): Promise<number> {
  const [target, extra] = args.positional;
  if (extra !== undefined) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(extra)}"`);
  const format = args.flags.format;
  if (format !== 'hf') throw new GraftError(ErrorCodes.USAGE, '"graft export" needs --format hf (the only format: Hugging Face GPT-2)', { received: format === true ? '' : format });
  const out = args.flags.out;
  if (typeof out !== 'string' || out === '') throw new GraftError(ErrorCodes.USAGE, '"graft export" needs --out DIR, the folder to write the model to');
  const base = typeof args.flags.base === 'string' && args.flags.base !== '' ? args.flags.base : undefined;
  const dir = await checkpointDirOf('export', target);
  checkOut(out, dir);
  const { files, notes, tensors } = hfExportFiles(dir, base);
  await writeDirAtomic(out, files);
  for (const n of notes) io.err(`graft: ${n}`);
  io.err(`graft: ${tensors} tensors with Hugging Face GPT-2 names; load with GPT2LMHeadModel.from_pretrained("${path.resolve(out)}")`);
  io.out(path.resolve(out));
  return 0;
}

/** `--out` may be new or an earlier export (it has config.json); never the checkpoint or a folder holding something else. */
function checkOut(out: string, input: string): void {
  const dir = path.resolve(out);
  if (dir === path.resolve(input)) throw new GraftError(ErrorCodes.USAGE, '--out is the checkpoint being exported', { file: out, hint: 'Write the export to another folder' });
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new GraftError(ErrorCodes.USAGE, '--out is a file', { file: out, expected: 'a new folder, or an earlier export to replace' });
  if (readdirSync(dir).length > 0 && !existsSync(path.join(dir, 'config.json'))) {
    throw new GraftError(ErrorCodes.USAGE, '--out is a folder that holds something other than an export; refusing to replace it', { file: out, hint: 'Name a new folder' });
  }
}
