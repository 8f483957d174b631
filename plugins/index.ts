/** Every plugin that ships with Graft ('graftml/plugins'). */
export * from './adapters/index.ts';
export * from './callbacks/index.ts';
export * from './checkpoints/index.ts';
export * from './datasets/index.ts';
export * from './freezing/index.ts';
export * from './generation/index.ts';
export * from './heads/index.ts';
export * from './init/index.ts';
export * from './loggers/index.ts';
export * from './lr-groups/index.ts';
export * from './metrics/index.ts';
export * from './models/index.ts';
export * from './objectives/index.ts';
export * from './optimizers/index.ts';
export * from './schedulers/index.ts';
export * from './tokenizers/index.ts';
export { PLUGIN_CLASSES, pluginCatalog, findPluginClass, type CatalogEntry } from './catalog.ts';
