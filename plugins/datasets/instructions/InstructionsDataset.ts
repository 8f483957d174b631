import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  offerStageResult,
  resolveOptions,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type InputOptions,
  type PluginMeta,
  type PluginState,
  type PreflightReport,
  type ResolvedOptions,
  type Split,
  type Tokenizer,
  type TrainerApi,
} from '../../../core/index.ts';
import {
  applyChatTemplate,
  chatTemplateOf,
  checkChatTemplate,
  DEFAULT_CHAT_TEMPLATE,
  withChatTemplate,
  type ChatTemplate,
  type ChatTokens,
  type ResolvedChatTemplate,
} from '../../tokenizers/index.ts';
import { checkFrom } from '../shared/batchPosition.ts';
import { planBatches, planCount } from '../shared/batchPlan.ts';
import { inspectTextFile } from '../shared/textFiles.ts';
import { utf8Warnings } from '../shared/preflightText.ts';
import { fillRow, fitToLength, isFitError } from './encodeInstruction.ts';
import { instructionSet, type InstructionSplits } from './instructionSets.ts';
import { readInstructionFile, toInstructionExample, type InstructionExample, type InstructionRecord } from './readInstructions.ts';
import { INSTRUCTIONS_OPTIONS } from './options.ts';

export type InstructionsOptions = InputOptions<typeof INSTRUCTIONS_OPTIONS>;

/** Examples given in code instead of files (not options, so not copied into every manifest). */
export interface InstructionsInputs {
  train?: readonly (InstructionRecord | InstructionExample)[];
  validation?: readonly (InstructionRecord | InstructionExample)[];
  test?: readonly (InstructionRecord | InstructionExample)[];
}

const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

interface SavedState {
  seed: number;
  sizes: Record<Split, number>;
}

/** A tokenizer plugin that can take a chat template (the fitted tokenizers: `FittedTokenizerPlugin`). */
interface ChatTemplateHost {
  readonly meta: PluginMeta;
  useChatTemplate(template?: ChatTemplate): Tokenizer;
}

/**
 * `dataset:instructions`: instruction data for supervised fine-tuning of a causal LM. Examples
 * (`{ prompt, response }` or `{ messages }`, with an optional `task`) are read at setup stage
 * `data`; at stage `encode` the chat template is added to the tokenizer (its tokens get ids after
 * the vocabulary, before the model reads its size) and every example is templated once
 * (`applyChatTemplate`) and cut to fit (`fitToLength`). Batches: `inputs`, `targets` int32 [B, T]
 * and `mask` float32 [B, T], 1 only where the target is a reply token or the end-of-turn after it,
 * so `objective:next-token`'s masked mean is the loss on responses only; rows padded at the end to maxLen.
 * Training order: a permutation of (seed, epoch), resumable mid-epoch; evaluation in file order.
 */
export class InstructionsDataset implements DatasetPlugin {
  static readonly meta = {
    name: 'dataset:instructions',
    kind: 'dataset',
    description: 'Instruction data (JSONL prompt/response or messages) in a chat template; loss mask on responses only',
  } as const satisfies PluginMeta;
  static readonly options = INSTRUCTIONS_OPTIONS;
  readonly meta = InstructionsDataset.meta;
  readonly options: ResolvedOptions<typeof INSTRUCTIONS_OPTIONS>;
  readonly template: ChatTemplate;
  private seed: number | undefined;
  private trainer: TrainerApi | undefined;
  private data: InstructionSplits | undefined;
  private encoded: Record<Split, ChatTokens[]> | undefined;
  private padId = 0;

  constructor(
    options: InstructionsOptions = {},
    private readonly inputs: InstructionsInputs = {},
  ) {
    const name = this.meta.name;
    const o = (this.options = resolveOptions(name, INSTRUCTIONS_OPTIONS, options));
    const inCode = inputs.train !== undefined;
    if ((o.source === '') === !inCode) {
      throw new GraftError(ErrorCodes.BAD_OPTION, o.source ? 'source and examples in code are both given' : 'no examples given', {
        plugin: name,
        option: 'source',
        expected: 'a .jsonl file or set:<name>, or training examples in code (not both)',
      });
    }
    if (o.source.startsWith('set:') && (o.validation || o.test)) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'an instruction set has its own splits', { plugin: name, option: o.validation ? 'validation' : 'test', hint: 'Drop validation and test, or give the training examples as a file' });
    }
    if (typeof o.setOptions !== 'object' || o.setOptions === null || Array.isArray(o.setOptions)) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid value', { plugin: name, option: 'setOptions', expected: 'an object', received: o.setOptions });
    }
    try {
      this.template = o.chatTemplate === 'default' ? { ...DEFAULT_CHAT_TEMPLATE } : checkChatTemplate(o.chatTemplate);
    } catch (e) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid chat template', { plugin: name, option: 'chatTemplate', expected: "'default' or { version: 1, system, user, assistant, endOfTurn }", received: o.chatTemplate, cause: e });
    }
  }

  /** Before a run writes anything: the files exist and are text; a set name is registered. */
  preflight(): PreflightReport {
    const o = this.options;
    if (o.source.startsWith('set:')) {
      instructionSet(o.source.slice(4), this.meta.name);
      return { warnings: [] };
    }
    const files = (['source', 'validation', 'test'] as const).filter((k) => o[k] !== '').map((k) => inspectTextFile(o[k], this.meta.name, k));
    return { warnings: utf8Warnings(files, this.meta.name) };
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    this.seed = trainer.rng.fork(this.meta.name).getState();
    trainer.tap('setup', this, () => {
      this.load();
      const d = this.requireData();
      offerStageResult(trainer.resources, { train_examples: d.train.length, tasks: this.tasks() });
    }, { stage: 'data' });
    trainer.tap('setup', this, () => this.encode(this.addTemplate(trainer)), { stage: 'encode' });
  }

  /** Put the chat template on the recipe's tokenizer (its plugin keeps it, and saves it with the tokenizer). */
  private addTemplate(trainer: TrainerApi): Tokenizer {
    const plugin = trainer.role('tokenizer') as unknown as Partial<ChatTemplateHost> & { meta: PluginMeta; tokenizer: Tokenizer };
    if (typeof plugin.useChatTemplate !== 'function') {
      throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, `tokenizer plugin "${plugin.meta.name}" cannot take a chat template`, {
        plugin: this.meta.name,
        hint: 'Use tokenizer:byte-bpe, tokenizer:char or tokenizer:word',
      });
    }
    try {
      return plugin.useChatTemplate(this.template);
    } catch (e) {
      if (e instanceof GraftError) throw e.withCode(e.code, { plugin: this.meta.name, option: 'chatTemplate' });
      throw e;
    }
  }

  /** Read the examples (setup stage `data`; public for use without a trainer). */
  load(): void {
    const o = this.options;
    const name = this.meta.name;
    let d: InstructionSplits;
    if (o.source.startsWith('set:')) {
      d = instructionSet(o.source.slice(4), name)(o.setOptions as Record<string, unknown>);
    } else if (o.source !== '') {
      d = { train: readInstructionFile(o.source, name), validation: o.validation ? readInstructionFile(o.validation, name) : [], test: o.test ? readInstructionFile(o.test, name) : [] };
    } else {
      // Examples in code are named by their 1-based position, as a file's by line.
      const conv = (rows: InstructionsInputs['train'] = []) => rows.map((r, i) => toInstructionExample(r, { line: i + 1, plugin: name }));
      d = { train: conv(this.inputs.train), validation: conv(this.inputs.validation), test: conv(this.inputs.test) };
    }
    if (o.tasks.length) {
      const keep = new Set(o.tasks);
      d = { ...d, train: d.train.filter((e) => keep.has(e.task)) };
    }
    if (d.train.length === 0) {
      throw new GraftError(ErrorCodes.DATA, 'no training examples', { plugin: name, option: o.tasks.length ? 'tasks' : 'source', received: o.tasks.length ? o.tasks : o.source });
    }
    this.data = d;
    this.encoded = undefined;
    this.trainer?.logger.info(`${name}: train ${d.train.length}, validation ${d.validation.length}, test ${d.test.length} examples; tasks ${this.tasks().join(', ') || '(none named)'}`);
  }

  /** Template and cut every example once (setup stage `encode`); the tokenizer must carry the chat template. */
  encode(tokenizer: Tokenizer): void {
    const chat = chatTemplateOf(tokenizer) ?? withChatTemplate(tokenizer, this.template).chat;
    const d = this.requireData();
    this.padId = tokenizer.specials.pad ?? 0;
    const enc = {} as Record<Split, ChatTokens[]>;
    for (const split of SPLITS) enc[split] = d[split].map((e) => this.encodeExample(e, chat));
    this.encoded = enc;
  }

  /** One example templated and cut to maxLen + 1 tokens (inputs and targets are shifted by one). */
  encodeExample(e: InstructionExample, chat: ResolvedChatTemplate): ChatTokens {
    const fit = fitToLength(applyChatTemplate(e.messages, chat), this.options.maxLen + 1);
    if (isFitError(fit)) {
      throw new GraftError(ErrorCodes.DATA, `the reply does not fit in maxLen: it needs ${fit.needed - 1} inputs`, {
        plugin: this.meta.name,
        option: 'maxLen',
        file: e.file ?? '(in code)',
        line: e.line,
        expected: `at most ${this.options.maxLen} (the reply, its end-of-turn, the assistant token and the first prompt token)`,
        hint: 'Raise maxLen or shorten the response',
      });
    }
    return fit;
  }

  /** Tasks of the training examples, sorted ('' for examples without one). */
  tasks(split: Split = 'train'): string[] {
    return [...new Set(this.requireData()[split].map((e) => e.task))].sort();
  }

  /** The examples of a split, as read. */
  examples(split: Split): readonly InstructionExample[] {
    return this.requireData()[split];
  }

  /** Prompts and replies as text, for fitting a tokenizer: training examples only. */
  trainingTexts(): string[] {
    return this.requireData().train.flatMap((e) => e.messages.map((m) => m.content));
  }

  numBatches(split: Split): number {
    const n = this.requireEncoded()[split].length;
    const count = planCount(n, this.options.batchSize, split === 'train' && this.options.dropLast);
    return split === 'validation' && this.options.maxValidationBatches > 0 ? Math.min(count, this.options.maxValidationBatches) : count;
  }

  *batches(split: Split, opts: BatchOptions): IterableIterator<Batch> {
    const from = checkFrom(opts, this.meta.name);
    const rows = this.requireEncoded()[split];
    const train = split === 'train';
    const plan = planBatches(rows.length, {
      batchSize: this.options.batchSize,
      shuffle: train,
      seed: train ? this.requireSeed() : 0,
      epoch: opts.epoch,
      dropLast: train && this.options.dropLast,
      sortishPool: 0,
      lengths: [],
    });
    const n = this.numBatches(split);
    for (let b = from; b < n; b++) yield this.batchOf(rows, plan[b]!);
  }

  /**
   * Rows `idx` padded to maxLen: inputs, targets, mask, lengths. One shape for every batch, so a
   * model that caches per sequence length (GPT's causal mask) keeps one entry.
   */
  private batchOf(rows: readonly ChatTokens[], idx: Int32Array): Batch {
    const B = idx.length;
    const T = this.options.maxLen;
    const out = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T), mask: new Float32Array(B * T) };
    const lengths = new Int32Array(B);
    idx.forEach((i, r) => {
      fillRow(rows[i]!, T, r, this.padId, out);
      lengths[r] = rows[i]!.ids.length - 1;
    });
    return {
      inputs: tf.tensor2d(out.inputs, [B, T], 'int32'),
      targets: tf.tensor2d(out.targets, [B, T], 'int32'),
      mask: tf.tensor2d(out.mask, [B, T], 'float32'),
      lengths: tf.tensor1d(lengths, 'int32'),
    };
  }

  getState(): PluginState {
    const d = this.data;
    const sizes = { train: d?.train.length ?? -1, validation: d?.validation.length ?? -1, test: d?.test.length ?? -1 };
    return { json: { seed: this.requireSeed(), sizes } satisfies SavedState };
  }

  setState(state: PluginState): void {
    const s = state.json as Partial<SavedState> | undefined;
    if (typeof s?.seed === 'number') this.seed = s.seed;
    const d = this.data;
    if (d && s?.sizes && SPLITS.some((k) => s.sizes![k] !== d[k].length)) {
      this.trainer?.logger.warn(`${this.meta.name}: the checkpoint was made on splits of ${JSON.stringify(s.sizes)} examples, this run has ${JSON.stringify({ train: d.train.length, validation: d.validation.length, test: d.test.length })}: the resumed data order will differ`);
    }
  }

  private requireSeed(): number {
    if (this.seed === undefined) throw new GraftError(ErrorCodes.DATA, 'has no seed: apply() was not called', { plugin: this.meta.name, hint: 'Add the dataset to a trainer' });
    return this.seed;
  }

  private requireData(): InstructionSplits {
    if (!this.data) throw new GraftError(ErrorCodes.DATA, 'the examples are not loaded yet (they load at setup stage "data")', { plugin: this.meta.name });
    return this.data;
  }

  private requireEncoded(): Record<Split, ChatTokens[]> {
    if (!this.encoded) throw new GraftError(ErrorCodes.DATA, 'the examples are not encoded yet (at setup stage "encode", after the tokenizer)', { plugin: this.meta.name });
    return this.encoded;
  }
}
