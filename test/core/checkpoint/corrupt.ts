import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checksumOf, MANIFEST, type Manifest } from '../../../core/index.ts';

/** A parsed safetensors file: the header object and the data section, to damage and write back. */
export interface RawSafetensors {
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  data: Buffer;
}

export function readRaw(file: string): RawSafetensors {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')), data: Buffer.from(buf.subarray(8 + n)) };
}

export function writeRaw(file: string, raw: RawSafetensors): void {
  let json = Buffer.from(JSON.stringify(raw.header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, json, raw.data]));
}

/** Change a safetensors file in place. */
export function edit(file: string, fn: (raw: RawSafetensors) => void): void {
  const raw = readRaw(file);
  fn(raw);
  writeRaw(file, raw);
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
}

export function writeManifest(dir: string, m: Manifest): void {
  writeFileSync(path.join(dir, MANIFEST), JSON.stringify(m, null, 2));
}

/**
 * Record the files' current checksums in the manifest, as if the damaged file had been written
 * so (a foreign or hand-made checkpoint): what is then caught is caught by the layout checks.
 */
export function reseal(dir: string, change: (m: Manifest) => void = () => undefined): void {
  const m = readManifest(dir);
  change(m);
  for (const f of Object.keys(m.files ?? {})) m.files![f] = checksumOf(readFileSync(path.join(dir, f)));
  writeManifest(dir, m);
}

export type TensorHeader = { dtype: string; shape: number[]; data_offsets: [number, number] };

export function tensor(raw: RawSafetensors, name: string): TensorHeader {
  return raw.header[name] as TensorHeader;
}
