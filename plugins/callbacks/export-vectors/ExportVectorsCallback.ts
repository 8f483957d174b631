import {
  ErrorCodes,
  GraftError,
  offerStageResult,
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type OptionSchema,
  type PluginMeta,
  type ResolvedOptions,
  type RunContext,
  type TrainerApi,
} from '../../../core/index.ts';
import { specialIds } from '../../tokenizers/specialIds.ts';
import { vocabularyOf } from '../../init/shared/vocabularyOf.ts';
import { runFilePath, writeRunFile } from '../shared/runFile.ts';
import { gloveText } from './gloveText.ts';

export const EXPORT_VECTORS_OPTIONS = {
  file: { type: 'string', default: 'vectors.txt', minLength: 1, doc: 'GloVe text file written at the end of the run, relative to the run folder (resource runDir) unless absolute.' },
  param: { type: 'string', default: 'backbone.tokEmbed', doc: 'The embedding [vocab, dim] to export, one row per token of the tokenizer.' },
} as const satisfies OptionSchema;

export type ExportVectorsOptionsInput = InputOptions<typeof EXPORT_VECTORS_OPTIONS>;

/**
 * `callback:export-vectors`: at the end of a run that did not fail, writes the embedding as GloVe
 * text (`word v1 ... vd` per vocabulary word, special tokens left out), atomically, and offers
 * `{ vectors_file, vectors_words }` to the stage result. `init:pretrained-embeddings` reads the
 * file back; `graft neighbours` looks words up in it.
 */
export class ExportVectorsCallback implements GraftPlugin {
  static readonly meta = {
    name: 'callback:export-vectors',
    kind: 'callback',
    description: 'Writes the token embedding as a GloVe text file at the end of the run',
    dependsOn: ['tokenizer:*', 'model:*'],
  } as const satisfies PluginMeta;
  static readonly options = EXPORT_VECTORS_OPTIONS;
  readonly meta = ExportVectorsCallback.meta;
  readonly options: Readonly<ResolvedOptions<typeof EXPORT_VECTORS_OPTIONS>>;

  constructor(input: ExportVectorsOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, EXPORT_VECTORS_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    // Checked before any step: a relative file needs a run folder.
    trainer.tap('beforeRun', this, () => void runFilePath(trainer, this.options.file, this.meta.name));
    // `observe`: after early stopping's restore of the best weights, like callback:sample-text.
    trainer.tap('afterRun', this, (ctx) => this.exportAtEnd(ctx), { stage: 'observe' });
  }

  private async exportAtEnd(ctx: RunContext): Promise<void> {
    if (ctx.state.stopReason === 'error') return;
    const trainer = ctx.trainer;
    const o = this.options;
    if (!trainer.params.has(o.param)) {
      throw new GraftError(ErrorCodes.PARAMETER, `no parameter named "${o.param}"`, { plugin: this.meta.name, option: 'param', hint: `Parameters: ${trainer.params.names().slice(0, 8).join(', ')}` });
    }
    const tokenizer = trainer.role('tokenizer').tokenizer;
    const variable = trainer.params.get(o.param);
    if (variable.rank !== 2 || variable.shape[0] !== tokenizer.vocabSize) {
      throw new GraftError(ErrorCodes.PARAMETER, `parameter "${o.param}" has shape [${variable.shape}]`, {
        plugin: this.meta.name,
        option: 'param',
        expected: `an embedding [${tokenizer.vocabSize}, dim], one row per token of the tokenizer`,
      });
    }
    const values = (await variable.data()) as Float32Array;
    const out = gloveText(vocabularyOf(tokenizer), values, variable.shape[1]!, specialIds(tokenizer));
    const file = runFilePath(trainer, o.file, this.meta.name)!;
    await writeRunFile(file, out.text, 'write the word vectors');
    trainer.logger.info(`${this.meta.name}: ${out.written} word vectors of dimension ${variable.shape[1]} written to ${file}`);
    offerStageResult(trainer.resources, { vectors_file: file, vectors_words: out.written });
  }
}
