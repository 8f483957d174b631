import { Rng } from '../../../core/index.ts';

/** Feistel rounds: four make a balanced Feistel network a good pseudo-random permutation. */
const ROUNDS = 4;

/** A 32-bit mix (murmur3's finaliser): the round function of the network. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A seeded bijection of [0, n) computed one index at a time, in O(1) memory: a 4-round balanced
 * Feistel network over the smallest even power of two >= n, with cycle-walking (an output >= n is
 * encrypted again until it falls in range; the domain is < 4n, so fewer than 4 walks on average).
 * The shuffle of a corpus of any size without an array of its windows.
 */
export class WindowPermutation {
  readonly n: number;
  private readonly halfBits: number;
  private readonly mask: number;
  private readonly keys: Uint32Array;

  constructor(n: number, keys: ArrayLike<number>) {
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 31) throw new RangeError(`WindowPermutation: n must be an integer in [0, 2^31], got ${n}`);
    this.n = n;
    let bits = 2;
    while (2 ** bits < n) bits += 2;
    this.halfBits = bits / 2;
    this.mask = 2 ** this.halfBits - 1;
    this.keys = Uint32Array.from({ length: ROUNDS }, (_, i) => keys[i % keys.length]! >>> 0);
  }

  /** The position-`i` element of the permutation (i in [0, n)). */
  at(i: number): number {
    if (!(i >= 0 && i < this.n)) throw new RangeError(`WindowPermutation: index ${i} outside [0, ${this.n})`);
    let x = i;
    do x = this.encrypt(x);
    while (x >= this.n);
    return x;
  }

  private encrypt(x: number): number {
    const h = this.halfBits;
    const m = this.mask;
    let left = Math.floor(x / 2 ** h) & m;
    let right = x & m;
    for (let r = 0; r < ROUNDS; r++) {
      const next = (left ^ mix32(right ^ this.keys[r]!)) & m;
      left = right;
      right = next;
    }
    return left * 2 ** h + right;
  }
}

/** The training order of epoch `epoch`: a function of (seed, epoch, n) only, as `epochPermutation` is for in-memory data. */
export function epochWindowPermutation(seed: number, epoch: number, n: number): WindowPermutation {
  const rng = new Rng(seed).fork(`epoch:${epoch}`);
  const keys = Array.from({ length: ROUNDS }, () => Math.floor(rng.next() * 4294967296));
  return new WindowPermutation(n, keys);
}
