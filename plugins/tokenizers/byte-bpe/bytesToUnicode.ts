/**
 * GPT-2's printable spelling of bytes: printable Latin-1 bytes stand for themselves, the others
 * (space, control bytes, ...) are shifted to code points from U+0100, so a space reads as "Ġ".
 * Used only to show tokens as strings (`idToToken`, `tokenToId`); ids are what the model sees.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable(b) ? b : 256 + n++);
  return out;
})();

export function bytesToString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}
