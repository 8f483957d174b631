/**
 * The little of a test runner the suite uses, declared here so that `graftml/testing` needs no
 * test runner's types at the consumer. AVA's default export (`import test from 'ava'`) fits it
 * structurally, and so does any runner with `serial(title, fn)` whose context has
 * `notThrowsAsync(promise, message?)`.
 */
export interface ConformanceTestFn {
  serial(title: string, implementation: (t: ConformanceAssertions) => PromiseLike<void>): void;
}

/** The one assertion the suite calls: the check's promise resolves (a rejection fails the test with its message). */
export interface ConformanceAssertions {
  notThrowsAsync(promise: PromiseLike<unknown>, message?: string): PromiseLike<unknown>;
}
