/**
 * Graft calls ops through '@tensorflow/tfjs-core', whose Node build registers no gradient
 * functions; the union package '@tensorflow/tfjs' registers all of them (and the cpu backend)
 * when loaded. Loading it once here, for that side effect, is what makes backprop work.
 *
 * It is loaded with `require`, with source maps off while it loads: where they are on (under tsx:
 * the tests, `npm start`), Node would otherwise read and parse the ~11 MB of .map files of the
 * union and the packages it pulls in (layers, converter, data, webgl) in every process, about
 * 0.3 s, and an ESM import would also lex each bundle for its exports. Stack traces inside
 * tfjs then point into its bundles instead of its TypeScript sources.
 *
 * Then two of those gradients are replaced. The engine hands a gradient function an array of
 * output gradients only when the kernel has more than one output, and the lone tensor otherwise;
 * tfjs 4.22's Unpack and SplitV gradients always expect the array, so `tf.unstack` along a size-1
 * axis and `tf.split` into one piece cannot be trained through ("Argument tensors passed to stack
 * must be a `Tensor[]`", "Pass at least one tensor to concat"). The replacements accept both.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { SplitV, Unpack } from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, SplitVAttrs, Tensor, UnpackAttrs } from '@tensorflow/tfjs-core';

const sourceMaps = process.sourceMapsEnabled;
process.setSourceMapsEnabled(false);
try {
  createRequire(import.meta.url)('@tensorflow/tfjs');
} finally {
  process.setSourceMapsEnabled(sourceMaps);
}

const asList = (dy: Tensor | Tensor[]): Tensor[] => (Array.isArray(dy) ? dy : [dy]);

export const unpackGradConfig: GradConfig = {
  kernelName: Unpack,
  gradFunc: (dy: Tensor | Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const { axis } = attrs as unknown as UnpackAttrs;
    return { value: () => tf.stack(asList(dy), axis) };
  },
};

export const splitVGradConfig: GradConfig = {
  kernelName: SplitV,
  gradFunc: (dy: Tensor | Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
    const { axis } = attrs as unknown as SplitVAttrs;
    return { x: () => tf.concat(asList(dy), axis) };
  },
};

tf.registerGradient(unpackGradConfig);
tf.registerGradient(splitVGradConfig);
