export { normalInit, uniformInit, glorotUniform, constantInit } from './initializers.ts';
export {
  createDense,
  dense,
  createLayerNorm,
  layerNorm,
  createEmbedding,
  embed,
  dropout,
  gelu,
  type DenseInit,
} from './layers.ts';
