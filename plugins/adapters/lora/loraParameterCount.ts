/** Trainable scalars LoRA adds: r * (in + out) per adapted [in, out] matrix. */
export function loraParameterCount(shapes: readonly (readonly [number, number])[], rank: number): number {
  return shapes.reduce((n, [i, o]) => n + rank * (i + o), 0);
}
