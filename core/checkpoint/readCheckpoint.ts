import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { resolveCheckpointDir } from './atomicDir.ts';
import { MANIFEST, PARAMS_FILE, STATE_FILE, type BaseCheckpointRef, type Manifest } from './manifest.ts';
import { decodeSafetensors, describeNonFinite, firstNonFinite, type NamedArray } from './safetensors.ts';
import { checksumOf } from './saveCheckpoint.ts';

export interface CheckpointData {
  dir: string;
  manifest: Manifest;
  params: Record<string, NamedArray>;
  state: Record<string, NamedArray>;
  /** An adapter-only checkpoint: the folder its base was read from (hash checked), which may not be the recorded path. */
  baseDir?: string;
}

export interface ReadOptions {
  /** Where warnings go (a checkpoint without checksums). Default: `process.emitWarning`. */
  warn?: (message: string) => void;
  /**
   * Where the base checkpoint of an adapter-only checkpoint is, when not at the path its manifest
   * records (the folders were moved). Its SHA-256 is checked all the same.
   */
  base?: string;
}

/** Longest chain of adapter-only checkpoints on bases that are adapter-only themselves. */
const MAX_BASE_DEPTH = 8;

const TENSOR_FILES = [PARAMS_FILE, STATE_FILE] as const;

/**
 * Read a checkpoint folder (or the survivor of an interrupted save) without touching any trainer.
 * Everything is checked before anything is returned: the manifest; each tensor file's size and
 * SHA-256 against the manifest (a checkpoint written before checksums were recorded is read with
 * a warning); the safetensors layout (`decodeSafetensors`); every tensor the manifest names is in
 * its file; every float value is finite. Each failure is a `GRAFT_ERR_CHECKPOINT` naming the file
 * and, where there is one, the tensor.
 *
 * An adapter-only checkpoint (its manifest has `base`) reads as the full one: the parameters it
 * left out are read from its base checkpoint (`readBaseCheckpoint`: refused with
 * `GRAFT_ERR_BASE_CHECKPOINT` if the base is missing, different or changed).
 */
export function readCheckpoint(dir: string, opts: ReadOptions = {}): CheckpointData {
  return readChecked(dir, opts, 0);
}

function readChecked(dir: string, opts: ReadOptions, depth: number): CheckpointData {
  const { dir: real, manifest } = readCheckpointManifest(dir);
  const bytes: Record<string, Buffer | undefined> = {};
  for (const f of TENSOR_FILES) {
    const p = path.join(real, f);
    bytes[f] = existsSync(p) ? readFileSync(p) : undefined;
  }
  verifyChecksums(real, manifest, bytes, opts);
  const decode = (f: string): Record<string, NamedArray> => (bytes[f] ? decodeSafetensors(bytes[f]!, path.join(real, f)).arrays : {});
  const data: CheckpointData = { dir: real, manifest, params: decode(PARAMS_FILE), state: decode(STATE_FILE) };
  checkComplete(data);
  checkFinite(data.params, path.join(real, PARAMS_FILE), 'parameter');
  checkFinite(data.state, path.join(real, STATE_FILE), 'state tensor');
  if (manifest.base !== undefined) overlayBase(data, opts, depth);
  return data;
}

/**
 * Read the base checkpoint `ref` names (or `opts.base`, if given) and check that it is the one
 * recorded: its `params.safetensors` must have the SHA-256 `ref` holds (the base's own manifest
 * records it, and reading the base verifies the file against it). Anything else is a
 * `GRAFT_ERR_BASE_CHECKPOINT` naming both folders and both hashes. `forDir` is the checkpoint
 * that needs the base, for messages.
 */
export function readBaseCheckpoint(ref: BaseCheckpointRef, forDir: string, opts: ReadOptions = {}): CheckpointData {
  return readBase(ref, forDir, opts, 0);
}

function readBase(ref: BaseCheckpointRef, forDir: string, opts: ReadOptions, depth: number): CheckpointData {
  if (depth >= MAX_BASE_DEPTH) {
    throw new GraftError(ErrorCodes.BASE_CHECKPOINT, `more than ${MAX_BASE_DEPTH} adapter-only checkpoints stacked on one another (a cycle?)`, { file: forDir });
  }
  // `opts.base` if given; else the recorded path, then the same folder relative to this checkpoint
  // (a run folder moved whole). The hash decides: the first that is the recorded base is read.
  const where = opts.base !== undefined ? [path.resolve(opts.base)] : [path.resolve(ref.path)];
  if (opts.base === undefined && ref.relativePath !== undefined) {
    const rel = path.resolve(forDir, ref.relativePath);
    if (rel !== where[0]) where.push(rel);
  }
  let first: GraftError | undefined;
  for (const dir of where) {
    try {
      return readOneBase(ref, dir, forDir, opts, depth);
    } catch (e) {
      if (!(e instanceof GraftError)) throw e;
      first ??= e;
    }
  }
  throw first!;
}

function readOneBase(ref: BaseCheckpointRef, where: string, forDir: string, opts: ReadOptions, depth: number): CheckpointData {
  const fix = `Put the base checkpoint it was trained on back at ${ref.path} (or pass its new folder as \`base\`), or use a full checkpoint (checkpoint:periodic params: "all")`;
  let data: CheckpointData;
  try {
    // The base's own base (if any) is not the one `opts.base` names.
    data = readChecked(where, { ...(opts.warn ? { warn: opts.warn } : {}) }, depth + 1);
  } catch (e) {
    if (e instanceof GraftError && e.code === ErrorCodes.BASE_CHECKPOINT) throw e;
    throw new GraftError(ErrorCodes.BASE_CHECKPOINT, `adapter-only checkpoint: its base checkpoint ${where} cannot be read (${e instanceof GraftError ? e.summary : (e as Error).message})`, {
      file: forDir,
      hint: fix,
      cause: e,
    });
  }
  const got = paramsChecksum(data);
  if (got.sha256 !== ref.sha256) {
    throw new GraftError(
      ErrorCodes.BASE_CHECKPOINT,
      `adapter-only checkpoint trained on base ${ref.path} (params.safetensors SHA-256 ${ref.sha256}), but ${where} holds another model (SHA-256 ${got.sha256})`,
      { file: forDir, hint: fix },
    );
  }
  return data;
}

/** SHA-256 and size of a checkpoint's own `params.safetensors` (as its manifest records it; computed for a checkpoint written before checksums). */
export function paramsChecksum(data: CheckpointData): { sha256: string; bytes: number } {
  const rec = data.manifest.files?.[PARAMS_FILE];
  if (rec) return { sha256: rec.sha256, bytes: rec.bytes };
  return checksumOf(readFileSync(path.join(data.dir, PARAMS_FILE)));
}

/** The base name of model parameter `name` under the warm start's `rename` (checkpoint prefix `from` became `to`). */
export function baseParamName(name: string, rename: BaseCheckpointRef['rename']): string {
  return rename && name.startsWith(rename.to) ? rename.from + name.slice(rename.to.length) : name;
}

/** Fill in the parameters an adapter-only checkpoint left out, from its (verified) base. */
function overlayBase(data: CheckpointData, opts: ReadOptions, depth: number): void {
  const ref = data.manifest.base!;
  if (typeof ref !== 'object' || ref === null || typeof ref.path !== 'string' || typeof ref.sha256 !== 'string' || !Array.isArray(ref.params)) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'manifest field "base" is malformed', {
      file: path.join(data.dir, MANIFEST),
      expected: '{"path": folder, "sha256": hex, "bytes": n, "params": [names]}',
    });
  }
  const base = readBase(ref, data.dir, opts, depth);
  data.baseDir = path.resolve(base.dir);
  for (const name of ref.params) {
    if (name in data.params) continue;
    const from = baseParamName(name, ref.rename);
    const arr = base.params[from];
    if (!arr) {
      throw new GraftError(ErrorCodes.BASE_CHECKPOINT, `parameter "${name}" is to come from the base checkpoint ${base.dir}, which has no "${from}"`, {
        file: data.dir,
        hint: 'The base is not the checkpoint the adapter was trained on',
      });
    }
    data.params[name] = arr;
  }
}

/** The manifest of a checkpoint folder (or of the survivor of an interrupted save), checked for format; no tensor is read. */
export function readCheckpointManifest(dir: string): { dir: string; manifest: Manifest } {
  const real = resolveCheckpointDir(dir);
  if (!real) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'no checkpoint here (no manifest.json)', {
      file: dir,
      hint: 'Point at a folder written by trainer.save() or the checkpoint plugin',
    });
  }
  const mfile = path.join(real, MANIFEST);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(mfile, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.CHECKPOINT, `manifest is not valid JSON: ${(e as Error).message}`, { file: mfile });
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== 'graft-checkpoint' || manifest.version !== 1) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'unknown checkpoint format', {
      file: mfile,
      expected: 'format "graft-checkpoint", version 1',
      received: `${manifest?.format} ${manifest?.version}`,
    });
  }
  return { dir: real, manifest };
}

function verifyChecksums(real: string, manifest: Manifest, bytes: Record<string, Buffer | undefined>, opts: ReadOptions): void {
  const mfile = path.join(real, MANIFEST);
  const files = manifest.files;
  if (files === undefined) {
    const warn = opts.warn ?? ((m: string) => process.emitWarning(m, { code: 'GRAFT_NO_CHECKSUMS' }));
    warn(`checkpoint ${real} has no checksums (written by an older Graft): its tensor files cannot be verified; save it again to add them`);
    return;
  }
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'manifest field "files" is not an object', { file: mfile, expected: '{"<file>": {"bytes": n, "sha256": hex}}' });
  }
  for (const f of TENSOR_FILES) {
    const p = path.join(real, f);
    const want = files[f];
    const buf = bytes[f];
    if (want === undefined) {
      if (buf) throw new GraftError(ErrorCodes.CHECKPOINT, `${f} is not recorded in the manifest`, { file: p, hint: 'The file was added after the checkpoint was written' });
      continue;
    }
    if (typeof want !== 'object' || want === null || typeof want.bytes !== 'number' || typeof want.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(want.sha256)) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `manifest entry for ${f} is malformed`, { file: mfile, expected: '{"bytes": n, "sha256": 64 hex digits}', received: want });
    }
    if (!buf) throw new GraftError(ErrorCodes.CHECKPOINT, 'tensor file is missing (the manifest records it)', { file: p });
    if (buf.length !== want.bytes) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `file has ${buf.length} bytes but the manifest records ${want.bytes} (truncated or replaced?)`, { file: p });
    }
    const got = checksumOf(buf).sha256;
    if (got !== want.sha256) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `SHA-256 ${got} does not match the manifest's ${want.sha256}: the file changed after it was written`, {
        file: p,
        hint: 'The file is damaged (disk, copy) or was edited; load another checkpoint (an earlier step, best)',
      });
    }
  }
}

/** Every parameter and plugin state tensor the manifest names is in its file. */
function checkComplete(data: CheckpointData): void {
  const m = data.manifest;
  const fromBase = new Set(m.base?.params ?? []);
  for (const name of Object.keys(m.params ?? {})) {
    if (!(name in data.params) && !fromBase.has(name)) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `parameter "${name}" is listed in the manifest but missing from the file`, { file: path.join(data.dir, PARAMS_FILE) });
    }
  }
  for (const [plugin, entry] of Object.entries(m.plugins ?? {})) {
    for (const k of entry?.tensors ?? []) {
      if (!(`${plugin}/${k}` in data.state)) {
        throw new GraftError(ErrorCodes.CHECKPOINT, `state tensor "${plugin}/${k}" of plugin "${plugin}" is listed in the manifest but missing from the file`, {
          file: path.join(data.dir, STATE_FILE),
        });
      }
    }
  }
}

function checkFinite(arrays: Record<string, NamedArray>, file: string, what: string): void {
  for (const [name, a] of Object.entries(arrays)) {
    const i = firstNonFinite(a.data);
    if (i < 0) continue;
    throw new GraftError(ErrorCodes.CHECKPOINT, `${what} "${name}" holds ${describeNonFinite(a.data as Float32Array, i)}`, {
      file,
      hint: 'A checkpoint of a diverged run; load an earlier one',
    });
  }
}
