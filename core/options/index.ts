export {
  resolveOptions,
  checkValue,
  parseOptionValue,
  type OptionSpec,
  type OptionSchema,
  type InputOptions,
  type ResolvedOptions,
} from './schema.ts';
