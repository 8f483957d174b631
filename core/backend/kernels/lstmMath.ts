/**
 * The LSTM kernels' gate functions from exponentials computed in bulk (Lstm.ts). V8's `Math.exp`
 * and `Math.tanh` are calls into C++ (14-19 and 28 ns an element here, 2026-12-06), and five a
 * cell made the element-wise part ~85 % of the fused LSTM's time; the kernels now take e^{-x}
 * (sigmoid) and e^{-2|x|} (tanh) for a whole time step from the wasm SIMD `exp` (expModule.ts, 1
 * float32 ulp) and finish each gate here in float64 arithmetic.
 *
 * sigmoid(x) = 1 / (1 + e^{-x}): within ~1 float32 ulp of the exact value (e^{-x} rounded to
 * float32 first), 0 where e^{-x} overflows. tanh: odd; below 1/4 in magnitude its Taylor series
 * to x^11 (truncation under 3e-10 relative; no cancellation), else (1 - e) / (1 + e) with
 * e = e^{-2|x|} in (0, 0.61]: at most ~1.6x e's rounding, within ~3 float32 ulps.
 */
export const TANH_SERIES_BELOW = 0.25;

export function sigmoidFromExp(eNegX: number): number {
  return 1 / (1 + eNegX);
}

/** tanh(x) given e = e^{-2|x|} (read only when |x| >= TANH_SERIES_BELOW). */
export function tanhFromExp(x: number, e: number): number {
  const a = x < 0 ? -x : x;
  if (a < TANH_SERIES_BELOW) {
    const x2 = x * x;
    return x * (1 + x2 * (-1 / 3 + x2 * (2 / 15 + x2 * (-17 / 315 + x2 * (62 / 2835 + x2 * (-1382 / 155925))))));
  }
  const t = (1 - e) / (1 + e);
  return x < 0 ? -t : t;
}
