/** Test utilities for plugin authors: `import { pluginConformance } from 'graftml/testing'`. */
export { pluginConformance, type ConformanceSpec } from './pluginConformance.ts';
export { ToyDataset, ToyModel, ToyObjective, ToySgd, toyPlugins } from '../helpers/toy.ts';
