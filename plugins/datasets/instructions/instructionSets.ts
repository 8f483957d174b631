import { clip, ErrorCodes, GraftError } from '../../../core/index.ts';
import type { InstructionExample } from './readInstructions.ts';

/** The splits of an instruction set. `test` may hold tasks absent from `train` (held-out task types). */
export interface InstructionSplits {
  train: InstructionExample[];
  validation: InstructionExample[];
  test: InstructionExample[];
}

/** Builds an instruction set from its options (`setOptions`); deterministic for given options. */
export type InstructionSetBuilder = (options: Readonly<Record<string, unknown>>) => InstructionSplits;

const sets = new Map<string, InstructionSetBuilder>();

/**
 * Make an instruction set known to `dataset:instructions` as `source: "set:<name>"` (the
 * `instruction-tune` preset registers `set:corpora`, built from the shipped corpora). Registering
 * the same builder again is a no-op; another builder under a taken name is an error.
 */
export function registerInstructionSet(name: string, build: InstructionSetBuilder): void {
  const before = sets.get(name);
  if (before && before !== build) throw new GraftError(ErrorCodes.CONFIG, `two instruction sets are named "${clip(name)}"`);
  sets.set(name, build);
}

/** The builder of `set:<name>`; unknown names are DATA errors naming the option and the known sets. */
export function instructionSet(name: string, plugin: string): InstructionSetBuilder {
  const b = sets.get(name);
  if (!b) {
    throw new GraftError(ErrorCodes.DATA, `unknown instruction set "${clip(name)}"`, {
      plugin,
      option: 'source',
      expected: `a .jsonl file, or set:<name> of a registered set (${[...sets.keys()].map((k) => `set:${k}`).join(', ') || 'none registered'})`,
      hint: 'set:corpora is registered by the instruction-tune preset (import graftml/presets)',
    });
  }
  return b;
}
