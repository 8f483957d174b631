import type * as tf from '@tensorflow/tfjs-core';
import { globToRegExp } from '../params/patterns.ts';
import type { OutputInterceptor } from '../trainer/TrainerApi.ts';

/**
 * Interceptors of named module outputs (adapters insert themselves here). With none registered,
 * `apply` is one boolean test, so models can mark every block output without a cost.
 */
export class Interceptors {
  private readonly list: { owner: string; re: RegExp; fn: OutputInterceptor }[] = [];
  private cache = new Map<string, OutputInterceptor[]>();

  add(owner: string, pattern: string, fn: OutputInterceptor): void {
    this.list.push({ owner, re: globToRegExp(pattern), fn });
    this.cache = new Map();
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Whether any interceptor matches `name`. */
  has(name: string): boolean {
    return this.list.length > 0 && this.fnsFor(name).length > 0;
  }

  apply(name: string, x: tf.Tensor, training: boolean): tf.Tensor {
    if (this.list.length === 0) return x;
    for (const fn of this.fnsFor(name)) x = fn(x, { name, training });
    return x;
  }

  private fnsFor(name: string): OutputInterceptor[] {
    let fns = this.cache.get(name);
    if (!fns) {
      fns = this.list.filter((i) => i.re.test(name)).map((i) => i.fn);
      this.cache.set(name, fns);
    }
    return fns;
  }
}
