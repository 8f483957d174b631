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

/** The largest header accepted (as the reference implementation): a bigger one is damage, not a model. */
const MAX_HEADER_BYTES = 100_000_000;

interface Entry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  begin: number;
  end: number;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * Decode a safetensors buffer, validating everything before returning anything: the header
 * (length, JSON object, metadata of strings), every tensor's dtype (F32, I32), shape
 * (non-negative integers), byte count (shape times 4) and `data_offsets` (within the file,
 * sorted, neither overlapping nor leaving a gap, the last ending at the end of the file). Any
 * failure is a `GRAFT_ERR_CHECKPOINT` naming the file and, where there is one, the tensor.
 */
export function decodeSafetensors(buf: Buffer, file = '<buffer>'): { arrays: Record<string, NamedArray>; metadata: Record<string, string> } {
  const bad = (why: string): never => {
    throw new GraftError(ErrorCodes.CHECKPOINT, `not a valid safetensors file: ${why}`, { file });
  };
  if (buf.length < 8) bad('shorter than its header');
  const n64 = buf.readBigUInt64LE(0);
  if (n64 > BigInt(buf.length - 8)) bad('header length past the end of the file (truncated?)');
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) bad(`header of ${n} bytes (more than ${MAX_HEADER_BYTES})`);
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return bad('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return bad('header is not a JSON object');
  const base = 8 + n;
  const dataBytes = buf.length - base;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, h] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof h !== 'object' || h === null || Array.isArray(h) || !Object.values(h).every((v) => typeof v === 'string')) {
        bad('"__metadata__" is not an object of strings');
      }
      metadata = h as Record<string, string>;
      continue;
    }
    const at = `tensor "${name}"`;
    if (typeof h !== 'object' || h === null || Array.isArray(h)) return bad(`${at} is not an object {dtype, shape, data_offsets}`);
    const { dtype: d, shape, data_offsets: offs } = h as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof d === 'string' && Object.hasOwn(FROM_DTYPE, d) ? FROM_DTYPE[d] : undefined;
    if (!dtype) return bad(`${at} has unsupported dtype ${JSON.stringify(d)} (Graft reads F32 and I32)`);
    if (!Array.isArray(shape) || !shape.every(isCount)) return bad(`${at} has a malformed shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount)) return bad(`${at} has malformed data_offsets ${JSON.stringify(offs)}`);
    const [begin, end] = offs as [number, number];
    if (begin > end) bad(`${at} has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataBytes) bad(`${at} runs past the end of the file (truncated?)`);
    const count = (shape as number[]).reduce((a, x) => a * x, 1);
    if (end - begin !== count * 4) bad(`${at} has ${end - begin} bytes for shape [${shape}]`);
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The tensors' bytes tile the data section exactly: in offset order, each starts where the previous ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | undefined;
  for (const e of entries) {
    if (e.begin < pos) bad(`tensor "${e.name}" (bytes ${e.begin}-${e.end}) overlaps tensor "${prev!.name}" (bytes ${prev!.begin}-${prev!.end})`);
    if (e.begin > pos) bad(`bytes ${pos}-${e.begin} of the data belong to no tensor (before tensor "${e.name}")`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataBytes) bad(`${dataBytes - pos} bytes after the last tensor belong to no tensor`);
  const arrays: Record<string, NamedArray> = {};
  for (const { name, dtype, shape, begin, end } of entries) {
    // Copy: the Buffer may be pooled and unaligned.
    const bytes = new Uint8Array(end - begin);
    bytes.set(buf.subarray(base + begin, base + end));
    arrays[name] = { dtype, shape, data: dtype === 'float32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer) };
  }
  return { arrays, metadata };
}

/** Index of the first NaN or ±Infinity in `data`, or -1. Integers are always finite. */
export function firstNonFinite(data: Float32Array | Int32Array): number {
  if (!(data instanceof Float32Array)) return -1;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    // x - x is 0 for every finite x, NaN for NaN and ±Infinity.
    if (x - x !== 0) return i;
  }
  return -1;
}

/** "NaN at index 3 (2 of 40 values non-finite)" for a tensor holding non-finite values. */
export function describeNonFinite(data: Float32Array, first: number): string {
  let count = 0;
  for (let i = first; i < data.length; i++) if (data[i]! - data[i]! !== 0) count++;
  return `${data[first]} at index ${first} (${count} of ${data.length} values non-finite)`;
}
