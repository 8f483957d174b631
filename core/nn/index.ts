export { checkpoint, type CheckpointSegment, type CheckpointOwner } from './checkpoint.ts';
export { normalInit, uniformInit, glorotUniform, constantInit } from './initializers.ts';
export {
  createDense,
  dense,
  createLayerNorm,
  layerNorm,
  createEmbedding,
  embed,
  dropout,
  dropoutMask,
  scaledDropout,
  gelu,
  type DenseInit,
} from './layers.ts';
