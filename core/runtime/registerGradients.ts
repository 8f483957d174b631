/**
 * Graft calls ops through '@tensorflow/tfjs-core', whose Node build registers no gradient
 * functions; the union package '@tensorflow/tfjs' registers all of them (and the cpu backend)
 * when loaded. Importing it once here, for that side effect, is what makes backprop work.
 */
import '@tensorflow/tfjs';
