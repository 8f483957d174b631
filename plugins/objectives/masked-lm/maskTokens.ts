import type { Rng } from '../../../core/index.ts';

export interface MaskingConfig {
  /** Probability that a maskable token is selected. */
  maskProb: number;
  /** Of the selected, the fraction replaced by `maskId`. */
  maskTokenFraction: number;
  /** Of the selected, the fraction replaced by a random non-special token. */
  randomTokenFraction: number;
  maskId: number;
  vocabSize: number;
  /** Ids never selected nor drawn as random replacements (pad, bos, eos, sep, mask). */
  specialIds: ReadonlySet<number>;
}

export interface MaskedTokens {
  /** The ids with the selected positions replaced (or kept). */
  inputs: Int32Array;
  /** 1 at the selected positions, 0 elsewhere. */
  selected: Float32Array;
  count: number;
}

/**
 * BERT masking of `ids` ([rows, T] row-major). Each maskable token (not special, before the
 * row's length if `lengths` is given) is selected with probability maskProb; a selected one
 * becomes the mask token, a random token or stays, in the configured proportions. Draws come
 * from `rng` in a fixed order, so the same state gives the same masks.
 */
export function maskTokens(ids: ArrayLike<number>, T: number, cfg: MaskingConfig, rng: Rng, lengths?: ArrayLike<number>): MaskedTokens {
  const n = ids.length;
  const inputs = Int32Array.from(ids);
  const selected = new Float32Array(n);
  const randomCut = cfg.maskTokenFraction + cfg.randomTokenFraction;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const id = inputs[i]!;
    if (cfg.specialIds.has(id)) continue;
    if (lengths && i % T >= lengths[Math.floor(i / T)]!) continue;
    if (rng.next() >= cfg.maskProb) continue;
    selected[i] = 1;
    count++;
    const r = rng.next();
    if (r < cfg.maskTokenFraction) inputs[i] = cfg.maskId;
    else if (r < randomCut) inputs[i] = randomToken(cfg, rng, id);
  }
  return { inputs, selected, count };
}

/** A uniform non-special id (by rejection; the original id if the vocabulary is all specials). */
function randomToken(cfg: MaskingConfig, rng: Rng, fallback: number): number {
  for (let tries = 0; tries < 64; tries++) {
    const r = rng.int(cfg.vocabSize);
    if (!cfg.specialIds.has(r)) return r;
  }
  return fallback;
}
