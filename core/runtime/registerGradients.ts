/**
 * Graft calls ops through '@tensorflow/tfjs-core', whose Node build registers no gradient
 * functions; the union package '@tensorflow/tfjs' registers all of them (and the cpu backend)
 * when loaded. Importing it once here, for that side effect, is what makes backprop work.
 *
 * Then two of those gradients are replaced. The engine hands a gradient function an array of
 * output gradients only when the kernel has more than one output, and the lone tensor otherwise;
 * tfjs 4.22's Unpack and SplitV gradients always expect the array, so `tf.unstack` along a size-1
 * axis and `tf.split` into one piece cannot be trained through ("Argument tensors passed to stack
 * must be a `Tensor[]`", "Pass at least one tensor to concat"). The replacements accept both.
 */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { SplitV, Unpack } from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, SplitVAttrs, Tensor, UnpackAttrs } from '@tensorflow/tfjs-core';

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
