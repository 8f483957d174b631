import {
  CoreResources,
  ErrorCodes,
  GraftError,
  assignParams,
  badOption,
  offerStageResult,
  paramsChecksum,
  readCheckpoint,
  resolveOptions,
  type BaseCheckpointRef,
  type CheckpointData,
  type GraftPlugin,
  type NamedArray,
  type ParamPattern,
  type PluginState,
  type Tokenizer,
  type TrainerApi,
  type PluginMeta,
} from '../../../core/index.ts';
import path from 'node:path';
import { loadTokenizer } from '../../tokenizers/index.ts';
import { checkPatternOption } from '../shared/checkPatternOption.ts';
import { vocabularyOf } from '../shared/vocabularyOf.ts';
import { alignVocab } from './alignVocab.ts';
import { checkpointTokenizer } from './checkpointTokenizer.ts';
import { FROM_CHECKPOINT_OPTIONS, type FromCheckpointOptionsInput, type VocabParam } from './options.ts';
import { planWarmStart, type Rename, type WarmStartPlan } from './planWarmStart.ts';
import { remapRows } from './remapRows.ts';

/** Rebuilds a tokenizer from its `toJSON()` output. */
export type TokenizerLoader = (json: unknown) => Tokenizer;

export interface FromCheckpointDeps {
  /** Default: `loadTokenizer` of plugins/tokenizers (char, byte-bpe, word). */
  loadTokenizer?: TokenizerLoader;
}

export interface FromCheckpointOptions {
  path: string;
  select: ParamPattern;
  rename: Rename | undefined;
  strict: boolean;
  remapVocab: boolean;
  vocabParams: readonly VocabParam[];
}

/** What the warm start did; `undefined` before setup or when it was skipped (resume). */
export interface FromCheckpointReport {
  /** The checkpoint folder read (the survivor of an interrupted save, if it came to that). */
  dir: string;
  /** Model names of the parameters loaded. */
  loaded: string[];
  /** Selected checkpoint parameters the model lacks, skipped (non-strict only). */
  unexpected: string[];
  /** Model parameters the selection covers but the checkpoint lacks, left as built (non-strict only). */
  missing: string[];
  /** The vocabulary hand-over, when both runs had a tokenizer. */
  vocab?: { carried: number; added: number; dropped: number; remapped: string[] };
}

/**
 * `init:from-checkpoint`: warm-start a new recipe from an earlier stage's checkpoint. In `setup` at
 * stage `init` (the new model and head have built their parameters), the selected parameters are
 * copied in by name, with shape checks. The vocabulary carries across stages (ULMFiT): if both
 * runs have a tokenizer, vocabulary-sized parameters are re-indexed by token string, and tokens
 * new in this stage get the mean of the old rows.
 *
 * When it has loaded, it offers `{ parameters_loaded }` (the model names of the parameters loaded,
 * sorted) to the stage result (`CoreResources.stageResult`, merged into a preset stage's
 * `result.json`). That list is its state, so a resumed run (which skips the warm start) offers
 * the same list again.
 */
export class FromCheckpointInit implements GraftPlugin {
  static readonly meta = {
    name: 'init:from-checkpoint',
    kind: 'init',
    description: "Warm start from an earlier stage's checkpoint; vocabulary re-indexed by token, new tokens get the mean embedding",
  } as const satisfies PluginMeta;
  static readonly options = FROM_CHECKPOINT_OPTIONS;
  readonly meta = FromCheckpointInit.meta;
  readonly options: Readonly<FromCheckpointOptions>;
  report: FromCheckpointReport | undefined;
  private readonly loadTokenizer: TokenizerLoader;
  /** The sorted names of the parameters the warm start loaded (this process's or the resumed run's). */
  private loaded: string[] | undefined;
  /** The checkpoint loaded, as a base for adapter-only checkpoints (this process's or the resumed run's). */
  private base: BaseCheckpointRef | undefined;
  private trainer: TrainerApi | undefined;

  constructor(input: FromCheckpointOptionsInput = {}, deps: FromCheckpointDeps = {}) {
    const o = resolveOptions(this.meta.name, FROM_CHECKPOINT_OPTIONS, input);
    if (o.path === undefined || o.path === '') throw badOption(this.meta.name, 'path', 'the folder of a checkpoint written by trainer.save()', o.path);
    this.options = {
      path: o.path,
      select: checkPatternOption(this.meta.name, 'select', o.select),
      rename: checkRename(o.rename),
      strict: o.strict,
      remapVocab: o.remapVocab,
      vocabParams: checkVocabParams(o.vocabParams),
    };
    this.loadTokenizer = deps.loadTokenizer ?? loadTokenizer;
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    trainer.tap('setup', this, () => this.warmStart(trainer), { stage: 'init' });
  }

  /** The base checkpoint it loaded (path, SHA-256 of its parameters), once it has: what adapter-only checkpoints are saved on. */
  get baseCheckpoint(): BaseCheckpointRef | undefined {
    return this.base;
  }

  /** The sorted model names of the parameters loaded and the base's identity, kept so a resumed run reports and offers them too. */
  getState(): PluginState {
    return { json: { loaded: this.loaded ?? null, ...(this.base ? { base: { ...this.base } } : {}) } };
  }

  setState(state: PluginState): void {
    const j = state.json as { loaded?: unknown; base?: Partial<BaseCheckpointRef> } | undefined;
    const b = j?.base;
    if (b && typeof b.path === 'string' && typeof b.sha256 === 'string' && typeof b.bytes === 'number') {
      this.base = { path: b.path, sha256: b.sha256, bytes: b.bytes, ...(b.rename ? { rename: { from: b.rename.from, to: b.rename.to } } : {}) };
      if (this.trainer) this.trainer.resources.set(CoreResources.baseCheckpoint, { ...this.base });
    }
    const l = j?.loaded;
    if (!Array.isArray(l) || !l.every((n) => typeof n === 'string')) return;
    this.loaded = [...l];
    // Resumed: the warm start was skipped, and the stage result is what the run it continues loaded.
    if (this.trainer) offerStageResult(this.trainer.resources, { parameters_loaded: [...this.loaded] });
  }

  private warmStart(trainer: TrainerApi): void {
    const log = trainer.logger;
    if (trainer.resources.has(CoreResources.resume)) {
      // The resumed checkpoint restores every parameter right after setup; reading this one too would be wasted.
      log.info(`${this.meta.name}: resuming a run, the warm start from ${this.options.path} is skipped`);
      return;
    }
    const o = this.options;
    const data = readCheckpoint(o.path, { warn: (m) => void log.warn(`${this.meta.name}: ${m}`) });
    const plan = planWarmStart(Object.keys(data.params), trainer.params.names(), o.select, o.rename);
    this.checkPlan(plan, data.dir, log);
    const vocab = o.remapVocab ? this.remapVocabulary(data, plan, trainer) : undefined;
    const source: CheckpointData = vocab ? { ...data, params: { ...data.params, ...vocab.arrays } } : data;
    checkShapes(source, plan, trainer, data.dir, vocab?.remapped ?? []);
    const loaded = assignParams(source, trainer, { select: o.select, rename: o.rename, strict: o.strict });
    this.report = {
      dir: data.dir,
      loaded,
      unexpected: plan.unexpected,
      missing: plan.missing,
      ...(vocab ? { vocab: { carried: vocab.carried, added: vocab.added, dropped: vocab.dropped, remapped: vocab.remapped } } : {}),
    };
    this.loaded = [...loaded].sort();
    offerStageResult(trainer.resources, { parameters_loaded: [...this.loaded] });
    // The identity of what was loaded: adapter-only checkpoints of this run are saved on it.
    this.base = { path: path.resolve(o.path), ...paramsChecksum(data), ...(o.rename ? { rename: { ...o.rename } } : {}) };
    trainer.resources.set(CoreResources.baseCheckpoint, { ...this.base });
    log.info(`${this.meta.name}: loaded ${loaded.length} parameters from ${data.dir}`);
    if (vocab) {
      log.info(
        `${this.meta.name}: vocabulary hand-over: ${vocab.carried} tokens carried over, ${vocab.added} new (mean row), ` +
          `${vocab.dropped} old tokens dropped; re-indexed ${vocab.remapped.join(', ') || '(no vocabulary parameter selected)'}`,
      );
    }
  }

  private checkPlan(plan: WarmStartPlan, dir: string, log: TrainerApi['logger']): void {
    if (plan.pairs.length === 0) {
      throw new GraftError(ErrorCodes.CHECKPOINT, 'no checkpoint parameter matches the selection and the model', {
        plugin: this.meta.name,
        option: 'select',
        file: dir,
        hint: `Selected checkpoint parameters the model lacks: ${list(plan.unexpected) || '(none)'}; check select and rename`,
      });
    }
    if (plan.unexpected.length) {
      const why = `checkpoint parameter${plan.unexpected.length > 1 ? 's' : ''} ${list(plan.unexpected)} selected but absent from the model`;
      if (this.options.strict) {
        throw new GraftError(ErrorCodes.CHECKPOINT, why, { plugin: this.meta.name, file: dir, hint: 'Narrow `select`, fix `rename`, or set strict: false to skip them' });
      }
      log.warn(`${this.meta.name}: ${why}; skipped`);
    }
    if (plan.missing.length) {
      const why = `model parameter${plan.missing.length > 1 ? 's' : ''} ${list(plan.missing)} covered by the selection but absent from the checkpoint`;
      if (this.options.strict) {
        throw new GraftError(ErrorCodes.CHECKPOINT, why, { plugin: this.meta.name, file: dir, hint: 'Narrow `select`, or set strict: false to keep them as built' });
      }
      log.warn(`${this.meta.name}: ${why}; kept as built`);
    }
  }

  private loadSaved(json: unknown, plugin: string, dir: string): Tokenizer {
    try {
      return this.loadTokenizer(json);
    } catch (e) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `cannot rebuild the checkpoint's tokenizer (state of "${plugin}"): ${(e as Error).message}`, {
        plugin: this.meta.name,
        file: dir,
        hint: 'Pass a loader for this tokenizer type as { loadTokenizer }, or set remapVocab: false',
        cause: e,
      });
    }
  }

  /** Re-indexed copies of the selected vocabulary parameters, keyed by checkpoint name; undefined if a side has no tokenizer. */
  private remapVocabulary(data: CheckpointData, plan: WarmStartPlan, trainer: TrainerApi) {
    const saved = checkpointTokenizer(data.manifest, data.dir);
    const current = trainer.maybeRole('tokenizer');
    if (!saved || !current) {
      trainer.logger.info(`${this.meta.name}: no vocabulary re-indexing: ${!saved ? 'the checkpoint holds no tokenizer' : 'this recipe has no tokenizer'}`);
      return undefined;
    }
    const oldVocab = vocabularyOf(this.loadSaved(saved.json, saved.plugin, data.dir));
    const newVocab = vocabularyOf(current.tokenizer);
    const { carried, added, dropped } = alignVocab(oldVocab, newVocab);
    const identical = oldVocab.length === newVocab.length && oldVocab.every((t, i) => t === newVocab[i]);
    const arrays: Record<string, NamedArray> = {};
    const remapped: string[] = [];
    for (const { from, to } of plan.pairs) {
      const spec = this.options.vocabParams.find((v) => v.name === to);
      if (!spec) continue;
      const arr = data.params[from]!;
      const where = `"${from}" [${arr.shape}]`;
      if (arr.dtype !== 'float32') throw vocabError(`vocabulary parameter ${where} is ${arr.dtype}`, 'a float32 parameter', data.dir);
      if (spec.axis >= arr.shape.length) throw vocabError(`vocabulary parameter ${where} has no axis ${spec.axis}`, `an axis below ${arr.shape.length}`, data.dir);
      if (arr.shape[spec.axis] !== oldVocab.length) {
        throw vocabError(
          `vocabulary parameter ${where} has ${arr.shape[spec.axis]} entries on axis ${spec.axis}, but the checkpoint's tokenizer (${saved.plugin}) has ${oldVocab.length} tokens`,
          'the vocabulary axis to match the saved tokenizer',
          data.dir,
        );
      }
      remapped.push(to);
      if (identical) continue;
      const shape = arr.shape.slice();
      shape[spec.axis] = newVocab.length;
      arrays[from] = { dtype: 'float32', shape, data: remapRows(arr as { data: Float32Array; shape: number[] }, oldVocab, newVocab, spec.axis) };
    }
    return { arrays, remapped, carried, added, dropped };
  }
}

/** Shapes are compared before anything is assigned, so a mismatch leaves the model as built. */
function checkShapes(data: CheckpointData, plan: WarmStartPlan, trainer: TrainerApi, dir: string, remapped: readonly string[]): void {
  for (const { from, to } of plan.pairs) {
    const want = trainer.params.get(to).shape;
    const have = data.params[from]!.shape;
    if (want.join(',') !== have.join(',')) {
      const note = remapped.includes(to) ? ' (after vocabulary re-indexing)' : '';
      throw new GraftError(ErrorCodes.CHECKPOINT, `parameter "${to}" has shape [${have}] in the checkpoint${note} but [${want}] in the model`, {
        plugin: FromCheckpointInit.meta.name,
        file: dir,
        hint: 'The new model options (sizes, context length) must match the earlier stage, or leave the parameter out of `select`',
      });
    }
  }
}

function vocabError(message: string, expected: string, file: string): GraftError {
  return new GraftError(ErrorCodes.CHECKPOINT, message, { plugin: FromCheckpointInit.meta.name, option: 'vocabParams', file, expected });
}

function list(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function checkRename(v: unknown): Rename | undefined {
  if (v === undefined) return undefined;
  const r = v as Partial<Rename> | null;
  if (typeof r !== 'object' || r === null || typeof r.from !== 'string' || typeof r.to !== 'string') {
    throw badOption(FromCheckpointInit.meta.name, 'rename', 'a prefix mapping {from: string, to: string}', v);
  }
  return { from: r.from, to: r.to };
}

function checkVocabParams(v: unknown): VocabParam[] {
  const ok = (p: unknown): p is VocabParam =>
    typeof p === 'object' && p !== null && typeof (p as VocabParam).name === 'string' && Number.isInteger((p as VocabParam).axis) && (p as VocabParam).axis >= 0;
  if (!Array.isArray(v) || !v.every(ok)) throw badOption(FromCheckpointInit.meta.name, 'vocabParams', 'a list of {name: string, axis: integer >= 0}', v);
  return v.map((p) => ({ name: p.name, axis: p.axis }));
}
