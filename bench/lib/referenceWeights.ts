import { hashNormal } from './lowbias32.ts';

/** Sizes of the reference GPT (gpt_torch.py's V, T, C, L; the MLP is 4C there). */
export interface ReferenceShape {
  vocab: number;
  context: number;
  nLayers: number;
  dModel: number;
  mlpHidden: number;
}

export const REFERENCE_SHAPE: ReferenceShape = { vocab: 96, context: 128, nLayers: 4, dModel: 128, mlpHidden: 512 };

export interface ReferenceParam {
  /** The parameter's name in Graft's store (`model:gpt` + tied `head:lm`). */
  name: string;
  /** Its name in gpt_torch.py. */
  torchName: string;
  shape: number[];
  /** 'one' | 'zero', or the std of the hashed normal. */
  init: 'one' | 'zero' | number;
}

/**
 * `param_specs()` of the reference, in its order (the index is the hash key offset `pid`), mapped
 * to Graft's names. Layouts agree: kernels are [in, out] in both (x @ W), and the fused qkv kernel's
 * columns are q | k | v, each head-major, in both.
 */
export function referenceParams(s: ReferenceShape): ReferenceParam[] {
  const { vocab: V, context: T, nLayers: L, dModel: C, mlpHidden: M } = s;
  const std = 0.02;
  const pstd = 0.02 / Math.sqrt(2 * L);
  const out: ReferenceParam[] = [
    { name: 'backbone.tokEmbed', torchName: 'wte', shape: [V, C], init: std },
    { name: 'backbone.posEmbed', torchName: 'wpe', shape: [T, C], init: std },
  ];
  for (let l = 0; l < L; l++) {
    const g = `backbone.blocks.${l}`;
    const h = `h${l}`;
    out.push(
      { name: `${g}.ln1.gamma`, torchName: `${h}.ln1.g`, shape: [C], init: 'one' },
      { name: `${g}.ln1.beta`, torchName: `${h}.ln1.b`, shape: [C], init: 'zero' },
      { name: `${g}.attn.qkv.kernel`, torchName: `${h}.attn.w`, shape: [C, 3 * C], init: std },
      { name: `${g}.attn.qkv.bias`, torchName: `${h}.attn.b`, shape: [3 * C], init: 'zero' },
      { name: `${g}.attn.proj.kernel`, torchName: `${h}.proj.w`, shape: [C, C], init: pstd },
      { name: `${g}.attn.proj.bias`, torchName: `${h}.proj.b`, shape: [C], init: 'zero' },
      { name: `${g}.ln2.gamma`, torchName: `${h}.ln2.g`, shape: [C], init: 'one' },
      { name: `${g}.ln2.beta`, torchName: `${h}.ln2.b`, shape: [C], init: 'zero' },
      { name: `${g}.mlp.fc.kernel`, torchName: `${h}.fc.w`, shape: [C, M], init: std },
      { name: `${g}.mlp.fc.bias`, torchName: `${h}.fc.b`, shape: [M], init: 'zero' },
      { name: `${g}.mlp.proj.kernel`, torchName: `${h}.fc2.w`, shape: [M, C], init: pstd },
      { name: `${g}.mlp.proj.bias`, torchName: `${h}.fc2.b`, shape: [C], init: 'zero' },
    );
  }
  out.push(
    { name: 'backbone.lnF.gamma', torchName: 'lnf.g', shape: [C], init: 'one' },
    { name: 'backbone.lnF.beta', torchName: 'lnf.b', shape: [C], init: 'zero' },
  );
  return out;
}

/** `init_params()`'s values of the parameter at index `pid`: key 1000 + pid for normals. */
export function referenceValues(p: ReferenceParam, pid: number): Float32Array {
  const n = p.shape.reduce((a, b) => a * b, 1);
  if (p.init === 'one') return new Float32Array(n).fill(1);
  if (p.init === 'zero') return new Float32Array(n);
  return hashNormal(1000 + pid, n, p.init);
}
