import * as tf from '@tensorflow/tfjs-core';
import {
  CoreResources,
  ErrorCodes,
  GraftError,
  badOption,
  offerStageResult,
  resolveOptions,
  type GraftPlugin,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
} from '../../../core/index.ts';
import { vocabularyOf } from '../shared/vocabularyOf.ts';
import { fillEmbedding } from './fillEmbedding.ts';
import { loadNpmVectors, type ModuleImporter } from './loadNpmVectors.ts';
import { NPM_SOURCES, PRETRAINED_EMBEDDINGS_OPTIONS, type PretrainedEmbeddingsOptionsInput } from './options.ts';
import { readGloveVectors, type WordVectors } from './readGloveVectors.ts';

export interface PretrainedEmbeddingsDeps {
  /** How `npm:` sources are loaded; default: a dynamic `import` of the package's JSON. */
  importModule?: ModuleImporter;
}

/** What the initialisation found; `undefined` before setup or when skipped (resume). */
export interface PretrainedEmbeddingsReport {
  /** Vocabulary tokens that got a pre-trained vector. */
  found: number;
  /** Vocabulary size. */
  total: number;
  /** found / total. */
  coverage: number;
  /** Of the found, tokens matched through their lower-cased form. */
  lowercased: number;
  /** Vectors in the source. */
  sourceVectors: number;
  /** Up to 20 tokens without a vector, for a look. */
  missingSample: string[];
}

/**
 * `init:pretrained-embeddings`: initialise an embedding [vocab, dim] from static word vectors
 * (GloVe-style), aligned to the tokenizer's vocabulary by token string (then its lower-cased
 * form). In `setup` at stage `init`. The vectors' dimension must equal the embedding's: nothing
 * is projected or truncated. Optionally frozen afterwards (the classic static-embedding setup).
 */
export class PretrainedEmbeddingsInit implements GraftPlugin {
  static readonly meta = {
    name: 'init:pretrained-embeddings',
    kind: 'init',
    description: 'Initialise the token embedding from pre-trained word vectors (GloVe file or wink npm package)',
  } as const satisfies PluginMeta;
  static readonly options = PRETRAINED_EMBEDDINGS_OPTIONS;
  readonly meta = PretrainedEmbeddingsInit.meta;
  readonly options: Readonly<ResolvedOptions<typeof PRETRAINED_EMBEDDINGS_OPTIONS> & { source: string }>;
  report: PretrainedEmbeddingsReport | undefined;
  private readonly importModule: ModuleImporter | undefined;

  constructor(input: PretrainedEmbeddingsOptionsInput = {}, deps: PretrainedEmbeddingsDeps = {}) {
    const o = resolveOptions(this.meta.name, PRETRAINED_EMBEDDINGS_OPTIONS, input);
    if (o.source === undefined || o.source === '') {
      throw badOption(this.meta.name, 'source', `a GloVe-format text file, or "npm:${NPM_SOURCES[0]}"`, o.source);
    }
    const pkg = npmPackage(o.source);
    if (pkg !== undefined && !(NPM_SOURCES as readonly string[]).includes(pkg)) {
      throw badOption(this.meta.name, 'source', `a file path, or one of ${NPM_SOURCES.map((p) => `"npm:${p}"`).join(', ')}`, o.source);
    }
    this.options = { ...o, source: o.source };
    this.importModule = deps.importModule;
  }

  /** Fraction of the vocabulary that got a pre-trained vector (after setup). */
  get coverage(): number | undefined {
    return this.report?.coverage;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => this.initialise(trainer), { stage: 'init' });
  }

  private async initialise(trainer: TrainerApi): Promise<void> {
    const o = this.options;
    const params = trainer.params;
    if (!params.has(o.param)) {
      throw new GraftError(ErrorCodes.PARAMETER, `no parameter named "${o.param}"`, {
        plugin: this.meta.name,
        option: 'param',
        hint: `Name the model's token embedding; parameters: ${params.names().slice(0, 8).join(', ')}${params.names().length > 8 ? ', ...' : ''}`,
      });
    }
    if (trainer.resources.has(CoreResources.resume)) {
      // The resumed checkpoint restores the (possibly fine-tuned) embedding right after setup.
      trainer.logger.info(`${this.meta.name}: resuming a run, the vectors of ${o.source} are not read again`);
    } else {
      await this.fill(trainer);
    }
    if (o.freeze) params.setTrainable(o.param, false, this.meta.name);
  }

  private async fill(trainer: TrainerApi): Promise<void> {
    const o = this.options;
    const tokenizer = trainer.maybeRole('tokenizer')?.tokenizer;
    if (!tokenizer) {
      throw new GraftError(ErrorCodes.MISSING_ROLE, 'needs a tokenizer to align word vectors with the vocabulary', {
        plugin: this.meta.name,
        hint: 'Add a tokenizer plugin (tokenizer:word suits word vectors)',
      });
    }
    const variable = trainer.params.get(o.param);
    const [rows, dim] = variable.shape;
    if (variable.rank !== 2 || rows !== tokenizer.vocabSize) {
      throw new GraftError(ErrorCodes.PARAMETER, `parameter "${o.param}" has shape [${variable.shape}]`, {
        plugin: this.meta.name,
        option: 'param',
        expected: `an embedding [${tokenizer.vocabSize}, dim], one row per token of the tokenizer`,
      });
    }
    const vocab = vocabularyOf(tokenizer);
    const wanted = new Set(o.lowercase ? [...vocab, ...vocab.map((t) => t.toLowerCase())] : vocab);
    const keep = (w: string) => wanted.has(w);
    const mismatch = (d: number) =>
      new GraftError(ErrorCodes.DATA, `the word vectors have dimension ${d} but parameter "${o.param}" has dimension ${dim}`, {
        plugin: this.meta.name,
        option: 'source',
        ...(npmPackage(o.source) === undefined ? { file: o.source } : {}),
        hint: `Set the model's embedding size to ${d}: vectors are not projected or truncated`,
      });
    const pkg = npmPackage(o.source);
    let source: WordVectors;
    if (pkg !== undefined) {
      source = await loadNpmVectors(pkg, { keep, importModule: this.importModule, plugin: this.meta.name });
      if (source.dim !== dim) throw mismatch(source.dim);
    } else {
      source = await readGloveVectors(o.source, {
        keep,
        plugin: this.meta.name,
        onDim: (d) => {
          if (d !== dim) throw mismatch(d);
        },
      });
    }
    const matrix = Float32Array.from((await variable.data()) as Float32Array);
    const res = fillEmbedding(matrix, dim!, vocab, source.vectors, { lowercase: o.lowercase, missing: o.missing as 'keep' | 'mean' });
    tf.tidy(() => variable.assign(tf.tensor2d(matrix, [rows!, dim!], 'float32')));
    this.report = {
      found: res.found,
      total: vocab.length,
      coverage: vocab.length ? res.found / vocab.length : 0,
      lowercased: res.lowercased,
      sourceVectors: source.total,
      missingSample: res.missing.slice(0, 20),
    };
    // In the stage's result, so an experiment's table can say how much of its vocabulary the vectors covered.
    offerStageResult(trainer.resources, { pretrained_embeddings: { source: o.source, found: res.found, total: vocab.length, coverage: this.report.coverage } });
    const pct = (100 * this.report.coverage).toFixed(1);
    const line =
      `${this.meta.name}: ${res.found}/${vocab.length} tokens (${pct}%) got a pre-trained vector from ${o.source} ` +
      `(${res.lowercased} through lower case); the other ${res.missing.length} ${o.missing === 'mean' && res.found > 0 ? 'got the mean vector' : 'keep their initial values'}`;
    if (res.found === 0) trainer.logger.warn(`${line}. No token matched: is the tokenizer word-level, like the vectors?`);
    else trainer.logger.info(line);
  }
}

/** The package of an `npm:<package>` source, or undefined for a file path. */
function npmPackage(source: string): string | undefined {
  return source.startsWith('npm:') ? source.slice(4) : undefined;
}
