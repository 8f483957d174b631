/**
 * lowbias32, the integer hash the PyTorch reference (../shared/bench/gpt_torch.py) derives its data,
 * batch order and initial weights from. Ported bit for bit, so Graft starts from the same weights
 * on the same batches and its per-step losses can be checked against PyTorch's.
 */

/** h32(x) of the reference: x is reduced mod 2^32 first (Python's `x &= M32`). */
export function h32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The reference's `randn(key, n, std)`: Box-Muller on two hashed uniforms per value, computed in
 * float64 and stored as float32 (numpy's `.astype(np.float32)` rounds to nearest, as Float32Array does).
 */
export function hashNormal(key: number, n: number, std: number): Float32Array {
  const base = h32(key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = h32(base + 2 * i);
    const b = h32(base + 2 * i + 1);
    const u1 = (a + 0.5) / 4294967296;
    const u2 = b / 4294967296;
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2) * std;
  }
  return out;
}
