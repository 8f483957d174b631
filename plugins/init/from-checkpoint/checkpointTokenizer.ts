import { ErrorCodes, GraftError, kindOf, type Manifest } from '../../../core/index.ts';

/**
 * The saved tokenizer of a checkpoint: the JSON state of its plugin of kind `tokenizer`
 * (`manifest.plugins["tokenizer:<name>"].state`), or undefined when the run had none or it
 * saved no state.
 */
export function checkpointTokenizer(manifest: Manifest, file: string): { plugin: string; json: unknown } | undefined {
  const found = Object.entries(manifest.plugins ?? {}).filter(([name, p]) => kindOf(name) === 'tokenizer' && p.state !== undefined);
  if (found.length > 1) {
    throw new GraftError(ErrorCodes.CHECKPOINT, `the checkpoint holds ${found.length} tokenizers (${found.map(([n]) => n).join(', ')})`, {
      file,
      expected: 'at most one plugin of kind "tokenizer" with saved state',
    });
  }
  const [entry] = found;
  return entry ? { plugin: entry[0], json: entry[1].state } : undefined;
}
