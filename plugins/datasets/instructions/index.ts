export { InstructionsDataset, type InstructionsOptions, type InstructionsInputs } from './InstructionsDataset.ts';
export { INSTRUCTIONS_OPTIONS } from './options.ts';
export { readInstructionFile, toInstructionExample, promptAndReference, type InstructionExample, type InstructionRecord } from './readInstructions.ts';
export { fitToLength, fillRow, isFitError, type FitError } from './encodeInstruction.ts';
export { registerInstructionSet, instructionSet, type InstructionSetBuilder, type InstructionSplits } from './instructionSets.ts';
