import { ErrorCodes, GraftError } from '../../core/index.ts';

/**
 * A conformance check that does not hold: the plugin it names breaks the contract (state, leaks,
 * evaluation pairing...). `problems` lists what differed, one line each; the message joins them.
 */
export class ConformanceFailure extends GraftError {
  constructor(
    readonly check: string,
    plugin: string,
    readonly problems: readonly string[],
  ) {
    super(ErrorCodes.BAD_PLUGIN, `fails the conformance check "${check}": ${summary(problems)}`, {
      plugin,
      hint: 'See CONTRIBUTING.md, "Rules of the house", and test/conformance/pluginConformance.ts for what each check runs',
    });
    this.name = 'ConformanceFailure';
  }
}

/** The first problems, and how many more there are (`problems` keeps them all). */
function summary(problems: readonly string[], shown = 10): string {
  const head = problems.slice(0, shown).join('; ');
  return problems.length > shown ? `${head}; and ${problems.length - shown} more` : head;
}

/** Collects the problems a check finds, so one failure reports all of them. */
export class Findings {
  readonly problems: string[] = [];

  constructor(
    readonly check: string,
    readonly plugin: string,
  ) {}

  /** Record `problem` unless `ok`. */
  expect(ok: boolean, problem: string | (() => string)): void {
    if (!ok) this.problems.push(typeof problem === 'string' ? problem : problem());
  }

  add(...problems: string[]): void {
    this.problems.push(...problems);
  }

  /** Throw a ConformanceFailure if anything was recorded. */
  done(): void {
    if (this.problems.length) throw new ConformanceFailure(this.check, this.plugin, this.problems);
  }
}
