import type { OptionSchema } from '../options/schema.ts';
import type { GraftPlugin, PluginMeta } from './Plugin.ts';

/**
 * A plugin declared as a class, readable without constructing it: its metadata and its option
 * schema are statics, and its constructor takes the options object first (what the schema
 * validates; more arguments, such as injected I/O, may follow).
 *
 * ```ts
 * export class L2Regularizer implements GraftPlugin {
 *   static readonly meta = { name: 'regularizer:l2', kind: 'regularizer' } as const satisfies PluginMeta;
 *   static readonly options = { coef: { type: 'number', default: 1e-4, min: 0, doc: 'Penalty weight.' } } as const satisfies OptionSchema;
 *   readonly meta = L2Regularizer.meta;
 *   readonly options;
 *   constructor(input: InputOptions<typeof L2Regularizer.options> = {}) {
 *     this.options = resolveOptions(L2Regularizer.meta.name, L2Regularizer.options, input);
 *   }
 *   apply(trainer: TrainerApi): void {}
 * }
 * ```
 *
 * The instance's `meta` is the static one (one place for the name); the static `options` is the
 * schema the constructor validates against (`{}` when the plugin has none), so configuration keys,
 * documentation and `graft describe <kind>:<name>` come from the class alone.
 */
export interface PluginClass<P extends GraftPlugin = GraftPlugin> {
  // The options' type is the class's own; `any` lets every plugin class be one.
  new (options?: any, ...rest: any[]): P;
  readonly meta: PluginMeta;
  readonly options: OptionSchema;
  /** The class's own name (`AdamwOptimizer`), as JavaScript gives it. */
  readonly name: string;
}

/** True when `value` looks like a `PluginClass`: a function with a static `meta` { name, kind } and `options`. */
export function isPluginClass(value: unknown): value is PluginClass {
  if (typeof value !== 'function') return false;
  const c = value as unknown as Partial<PluginClass>;
  return (
    typeof c.meta === 'object' &&
    c.meta !== null &&
    typeof c.meta.name === 'string' &&
    typeof c.meta.kind === 'string' &&
    typeof c.options === 'object' &&
    c.options !== null
  );
}
