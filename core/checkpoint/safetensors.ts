import { ErrorCodes, GraftError } from '../errors/index.ts';

/**
 * The safetensors format (8-byte little-endian header length, a JSON header mapping names to
 * dtype/shape/byte offsets, then raw little-endian data). Chosen because it is documented,
 * simple, safe to parse, and readable from Python (`safetensors.numpy.load_file`).
 */
export interface NamedArray {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

const DTYPES = { float32: 'F32', int32: 'I32' } as const;
const FROM_DTYPE: Record<string, 'float32' | 'int32'> = { F32: 'float32', I32: 'int32' };

export function encodeSafetensors(arrays: Record<string, NamedArray>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(arrays).sort();
  for (const name of names) {
    const a = arrays[name]!;
    const bytes = a.data.byteLength;
    header[name] = { dtype: DTYPES[a.dtype], shape: a.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const d = arrays[name]!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, pos);
    pos += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(buf: Buffer, file = '<buffer>'): { arrays: Record<string, NamedArray>; metadata: Record<string, string> } {
  const bad = (why: string): never => {
    throw new GraftError(ErrorCodes.CHECKPOINT, `not a valid safetensors file: ${why}`, { file });
  };
  if (buf.length < 8) bad('shorter than its header');
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) bad('header length past the end of the file (truncated?)');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return bad('header is not JSON');
  }
  const base = 8 + n;
  const arrays: Record<string, NamedArray> = {};
  let metadata: Record<string, string> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = h as unknown as Record<string, string>;
      continue;
    }
    const dtype = FROM_DTYPE[h.dtype];
    if (!dtype) bad(`tensor "${name}" has unsupported dtype ${h.dtype}`);
    const [b, e] = h.data_offsets;
    if (base + e > buf.length) bad(`tensor "${name}" runs past the end of the file (truncated?)`);
    const count = h.shape.reduce((a, x) => a * x, 1);
    if ((e - b) !== count * 4) bad(`tensor "${name}" has ${e - b} bytes for shape [${h.shape}]`);
    // Copy: the Buffer may be pooled and unaligned.
    const bytes = new Uint8Array(e - b);
    bytes.set(buf.subarray(base + b, base + e));
    arrays[name] = { dtype: dtype!, shape: h.shape, data: dtype === 'float32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer) };
  }
  return { arrays, metadata };
}
