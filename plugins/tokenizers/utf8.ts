/**
 * UTF-8 helpers shared by the byte-level tokenizers. The decoder keeps a leading BOM (the default
 * TextDecoder strips it, which would break exact round-trips) and turns invalid byte sequences
 * (a model may emit any byte tokens) into U+FFFD instead of throwing.
 */
export const utf8Encoder = new TextEncoder();
export const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: false });

const utf16Decoder = new TextDecoder('utf-16le', { ignoreBOM: true });

/**
 * Builds decoded text: pending UTF-8 bytes (from byte tokens) and plain strings (characters,
 * special tokens), in order. Bytes are decoded together, so a character split over several byte
 * tokens comes back whole; everything lands in one UTF-16 buffer turned into a string once,
 * which is several times faster than joining a million one-character strings.
 */
export class TextBuilder {
  private bytes = new Uint8Array(64);
  private nBytes = 0;
  private units = new Uint16Array(1024);
  private nUnits = 0;

  pushByte(b: number): void {
    if (this.nBytes === this.bytes.length) this.bytes = grow(this.bytes, this.nBytes + 1);
    this.bytes[this.nBytes++] = b;
  }

  pushBytes(bs: Uint8Array): void {
    if (this.nBytes + bs.length > this.bytes.length) this.bytes = grow(this.bytes, this.nBytes + bs.length);
    this.bytes.set(bs, this.nBytes);
    this.nBytes += bs.length;
  }

  pushString(s: string): void {
    if (this.nBytes > 0) this.flushBytes();
    this.pushUnits(s);
  }

  toString(): string {
    if (this.nBytes > 0) this.flushBytes();
    return utf16Decoder.decode(this.units.subarray(0, this.nUnits));
  }

  private flushBytes(): void {
    const s = utf8Decoder.decode(this.bytes.subarray(0, this.nBytes));
    this.nBytes = 0;
    this.pushUnits(s);
  }

  private pushUnits(s: string): void {
    if (this.nUnits + s.length > this.units.length) this.units = grow(this.units, this.nUnits + s.length);
    for (let i = 0; i < s.length; i++) this.units[this.nUnits++] = s.charCodeAt(i);
  }
}

function grow<T extends Uint8Array | Uint16Array | Int32Array>(buf: T, min: number): T {
  let cap = buf.length * 2;
  while (cap < min) cap *= 2;
  const next = new (buf.constructor as new (n: number) => T)(cap);
  next.set(buf);
  return next;
}

/** A growable id list: cheaper than number[] for the long outputs of encoding a whole book. */
export class IdBuffer {
  private buf: Int32Array;
  private len = 0;

  constructor(capacity = 1024) {
    this.buf = new Int32Array(Math.max(16, capacity));
  }

  push(id: number): void {
    if (this.len === this.buf.length) this.buf = grow(this.buf, this.len + 1);
    this.buf[this.len++] = id;
  }

  pushAll(ids: ArrayLike<number>): void {
    if (this.len + ids.length > this.buf.length) this.buf = grow(this.buf, this.len + ids.length);
    for (let i = 0; i < ids.length; i++) this.buf[this.len++] = ids[i]!;
  }

  /** The ids pushed so far, as an array of exactly that length. */
  toArray(): Int32Array {
    return this.buf.slice(0, this.len);
  }
}
