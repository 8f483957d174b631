import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { parseArgs } from '../../cli/args.ts';
import { clip, ErrorCodes, GraftError, parseOptionValue, resolveOptions } from '../../core/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { loadTextPath } from '../../plugins/datasets/shared/textFiles.ts';
import { configure, gptPretrainPreset, recipeKeys, validateRecipe, type Recipe } from '../../presets/index.ts';

// Pre-flight validation: every bad input exits 2 before anything is written (the --out folder
// does not exist afterwards), with a message naming the key, file and line and what was expected.
// Nothing here trains: every case fails before the backend is even selected, or at it.

const GPT = 'gpt-next-token-pretrain';
const ULMFIT = 'ulmfit-3-stage';
const dir = mkdtempSync(path.join(tmpdir(), 'graft-validation-'));
let outs = 0;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

/** Run `graft <argv> --out <fresh folder>`; returns the exit code, stderr, and whether the folder exists. */
async function graft(argv: readonly string[]): Promise<{ code: number; err: string; written: boolean }> {
  const out = path.join(dir, `out-${++outs}`);
  const c = capture();
  const withOut = argv[0] === 'run' ? [...argv, '--out', out] : [...argv];
  const code = await main(withOut, c.io);
  return { code, err: c.err.join('\n'), written: existsSync(out) };
}

const sets = (...kv: string[]) => kv.flatMap((s) => ['--set', s]);
/** Short language-model stages, so that a check that let bad data through fails fast rather than after minutes of training. */
const SHORT_ULMFIT = sets('lm.steps=1', 'target.steps=1', 'lm.maxChars=20000', 'target.maxChars=20000');

// --- configuration values ------------------------------------------------------------------

const CONFIG_CASES: [string, string[], RegExp][] = [
  // GptModel's constructor: dModel divisible by nHeads, named by the configuration key that sets it.
  ['nHeads not dividing the width', sets('model.nHeads=3'), /plugin "model:gpt", option "nHeads": dModel 128 is not divisible by nHeads; expected a divisor of dModel \(128\), got 3\. The configuration key model\.nHeads sets it \[GRAFT_ERR_BAD_OPTION\]/],
  ['an empty sample prompt', sets('sample.prompt='), /option "sample\.prompt": invalid value; expected a non-empty string, got "" \[GRAFT_ERR_CONFIG\]/],
  ['an empty list entry alone', sets('data.sources=,'), /option "data\.sources": invalid value; expected comma-separated values with no empty entry \(entry 1 of 2 is empty/],
  ['an empty list entry inside', sets('data.sources=npm:moby-dick,,npm:sotu'), /option "data\.sources".*no empty entry \(entry 2 of 3 is empty/],
  ['a trailing comma', sets('data.sources=npm:moby-dick,'), /option "data\.sources".*no empty entry \(entry 2 of 2 is empty/],
  ['an unsafe integer', sets('train.maxSteps=1e20'), /option "train\.maxSteps": invalid value; expected an integer from 0 to 9007199254740991 \(2\^53 - 1\), got 100000000000000000000/],
  ['an integer just past 2^53', sets('data.maxChars=9007199254740993'), /option "data\.maxChars".*expected an integer from 0 to 9007199254740991/],
  ['a key set twice', sets('train.lr=1e-3', 'train.lr=3e-3'), /option "train\.lr": --set train\.lr is given twice; expected each key once, got \["1e-3","3e-3"\]/],
  ['a key set twice to the same value', sets('model.nLayers=2', 'model.nLayers=2'), /--set model\.nLayers is given twice/],
];

for (const [name, argv, re] of CONFIG_CASES) {
  test(`run: ${name} exits 2 and writes nothing`, async (t) => {
    const r = await graft(['run', GPT, ...argv]);
    t.is(r.code, 2, r.err);
    t.regex(r.err, re);
    t.false(r.written, 'the run folder was not created');
  });
}

test('describe checks as run does: a bad value exits 2', async (t) => {
  const r = await graft(['describe', GPT, ...sets('model.nHeads=3')]);
  t.is(r.code, 2);
  t.regex(r.err, /not divisible by nHeads/);
});

test('flags: repeated, empty, or too large exit 2 and write nothing', async (t) => {
  for (const [argv, re] of [
    [['--seed', '1', '--seed', '2'], /--seed is given twice; expected each flag once.*got \["1","2"\]/],
    [['--seed='], /--seed must be a non-negative integer; expected an integer from 0 to 4294967295, got ""/],
    [['--seed', '4294967296'], /--seed must be a non-negative integer; expected an integer from 0 to 4294967295/],
    [['--seed', '1e20'], /--seed must be a non-negative integer/],
    [['--quiet', '--quiet'], /--quiet is given twice/],
  ] as const) {
    const r = await graft(['run', GPT, ...argv]);
    t.is(r.code, 2, argv.join(' '));
    t.regex(r.err, re);
    t.false(r.written);
  }
  // --out twice: neither folder is created.
  const a = path.join(dir, 'twice-a');
  const b = path.join(dir, 'twice-b');
  const c = capture();
  t.is(await main(['run', GPT, '--out', a, '--out', b], c.io), 2);
  t.regex(c.err.join('\n'), /--out is given twice/);
  t.false(existsSync(a) || existsSync(b));
});

test('a backend asked for that cannot load exits 2 before anything is written', async (t) => {
  let installed = true;
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
  } catch {
    installed = false;
  }
  if (installed) {
    t.log('@tensorflow/tfjs-node is installed here: the case cannot be made');
    t.pass();
    return;
  }
  const r = await graft(['run', GPT, '--backend', 'node']);
  t.is(r.code, 2);
  t.regex(r.err, /backend 'node' could not be loaded: not installed.*\[GRAFT_ERR_CONFIG\]/);
  t.notRegex(r.err, /\n\s+at /, 'no stack trace');
  t.false(r.written, 'not even log.jsonl');
});

// --- data sources ----------------------------------------------------------------------------

test('text sources: missing, empty folder, binary file exit 2 naming the key, file and line', async (t) => {
  const emptyFolder = path.join(dir, 'no-txt');
  mkdirSync(emptyFolder, { recursive: true });
  writeFileSync(path.join(emptyFolder, 'notes.md'), 'not read');
  const binary = file('corpus/binary.txt', Buffer.from('first line\nsecond\u0000line\n', 'latin1'));
  const folderWithBinary = path.dirname(binary);
  file('corpus/fine.txt', 'fine text\n');
  const missing = path.join(dir, 'missing.txt');
  for (const [source, re] of [
    [missing, new RegExp(`plugin "dataset:text-corpus", option "sources", file ${missing}: source ".*missing\\.txt" does not exist\\. .*The configuration key data\\.sources sets it \\[GRAFT_ERR_CONFIG\\]`)],
    [emptyFolder, /option "sources".*source folder ".*no-txt" has no \.txt files.*data\.sources/],
    [binary, /binary\.txt:2: not a text file: a NUL byte at byte 17; expected UTF-8 text \(no NUL bytes\)/],
    [folderWithBinary, /binary\.txt:2: not a text file/],
    [`npm:moby-dick,${missing}`, /missing\.txt" does not exist/],
  ] as const) {
    const r = await graft(['run', GPT, ...sets(`data.sources=${source}`)]);
    t.is(r.code, 2, source);
    t.regex(r.err, re);
    t.false(r.written);
  }
});

test('bytes that are not UTF-8 are counted in a warning naming the file and line (describe: nothing runs)', async (t) => {
  const bad = file('latin1.txt', Buffer.concat([Buffer.from('plain line\nna'), Buffer.from([0xef]), Buffer.from('ve caf'), Buffer.from([0xe9, 0x0a]), Buffer.from('\ufffd is fine\n')]));
  const c = capture();
  t.is(await main(['describe', GPT, ...sets(`data.sources=${bad}`)], c.io), 0);
  t.regex(c.err.join('\n'), /graft: warning: dataset:text-corpus: .*latin1\.txt:2: 2 byte sequences are not UTF-8 and will read as U\+FFFD/);
  const clean = file('clean.txt', 'caf\u00e9 \ufffd\n');
  const d = capture();
  t.is(await main(['describe', GPT, ...sets(`data.sources=${clean}`)], d.io), 0);
  t.notRegex(d.err.join('\n'), /warning/);
});

test('labelled data of one class exits 2 before stage 1, naming the file and the key (stage 1 checks the task\'s held-out texts: caught there first)', async (t) => {
  const one = file('one-class.csv', 'text,label\nbuy now,spam\ncheap pills,spam\nwin money,spam\nfree offer,spam\n');
  const r = await graft(['run', ULMFIT, ...SHORT_ULMFIT, ...sets(`task.source=${one}`)]);
  t.is(r.code, 2, r.err);
  t.regex(r.err, /plugin "dataset:text-corpus", option "heldOutOf\.source", file .*one-class\.csv: the labelled data has one class only \("spam"\); expected labels of at least two classes\..*The configuration key task\.source sets it\. In stage "general-lm" of recipe ulmfit-3-stage \[GRAFT_ERR_CONFIG\]/);
  t.false(r.written);
  // The same check at setup, for a recipe in code: a DATA error, not tfjs's "depth must be >=2".
  const ds = new LabelledTextDataset({ source: one });
  t.throws(() => ds.load(), { instanceOf: GraftError, message: /one class only/ });
  t.throws(() => ds.preflight(), { message: /one class only/ });
});

test('labelled data with a bad row or a binary file exits 2 naming file and line', async (t) => {
  const badRow = file('bad-row.csv', 'text,label\nhello,ham\nhello, world,spam\n');
  const r = await graft(['run', ULMFIT, ...SHORT_ULMFIT, ...sets(`task.source=${badRow}`)]);
  t.is(r.code, 2);
  t.regex(r.err, /bad-row\.csv:3: row has 3 fields but the header has 2/);
  t.false(r.written);
  const bin = file('binary.csv', Buffer.from('text,label\n\u0000\u0001,ham\n', 'latin1'));
  t.throws(() => new LabelledTextDataset({ source: bin }).preflight(), { message: /binary\.csv:2: not a text file/ });
});

test('a binary file is refused when the data loads too, for recipes in code', (t) => {
  const bin = file('loaded/binary.txt', Buffer.from('abc\u0000', 'latin1'));
  const e = t.throws(() => loadTextPath(bin, 'dataset:x'), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.regex(e.message, /binary\.txt:1: not a text file: a NUL byte at byte 3/);
  t.throws(() => new TextCorpusDataset({ sources: [path.dirname(bin)] }).load(), { message: /not a text file/ });
});

test('a 10 MB line is not echoed: messages stay short', async (t) => {
  const huge = 'x'.repeat(10_000_000);
  const jsonl = file('huge.jsonl', `${JSON.stringify(huge)}\n{"text":"a","label":"b"}\n`);
  const r = await graft(['run', ULMFIT, ...SHORT_ULMFIT, ...sets(`task.source=${jsonl}`)]);
  t.is(r.code, 2);
  t.regex(r.err, /huge\.jsonl:1: line is not a JSON object, got "x{70,}… \(10000002 chars\)/);
  t.true(r.err.length < 500, `${r.err.length} chars`);
  t.false(r.written);
  const header = file('huge-header.csv', `${huge},label\nhello,ham\n`);
  const h = await graft(['run', ULMFIT, ...SHORT_ULMFIT, ...sets(`task.source=${header}`)]);
  t.is(h.code, 2);
  t.regex(h.err, /the header has no column "text".*expected one of "x{30,}… \(10000000 chars\)", "label"/);
  t.true(h.err.length < 600, `${h.err.length} chars`);
  for (const argv of [[huge], ['run', huge], ['run', GPT, huge], ['run', GPT, `--${huge}`], ['run', GPT, '--set', `${huge}=1`]]) {
    const u = await graft(argv);
    t.is(u.code, 2);
    t.true(u.err.length < 1000, `${u.err.length} chars for ${argv.map((a) => clip(a, 20)).join(' ')}`);
  }
});

test('transfer-vs-scratch: its grid is checked before anything is written', async (t) => {
  for (const [set, re] of [
    ['seeds=1,1', /option "seeds": invalid value; expected a non-empty list of distinct integers from 0 to 4294967295, got \[1,1\]/],
    ['sizes=', /option "sizes".*got \[\]/],
    ['sizes=1e20', /option "sizes"/],
    ['seeds=4294967296', /option "seeds"/],
  ] as const) {
    const r = await graft(['run', 'transfer-vs-scratch', ...sets(set)]);
    t.is(r.code, 2, set);
    t.regex(r.err, re);
    t.false(r.written);
  }
});

// --- a fuzz over bad --set values for the GPT preset ---------------------------------------------

const HUGE = 'z'.repeat(10_000_000);

/** The spec a key of the GPT preset is checked with: its owner's (an alias: its first target's; a choice: an enum of its choices). */
function specOf(r: Recipe, key: string): { type: string; min?: number; max?: number; exclusiveMin?: boolean } {
  const a = r.aliases[key];
  if (a?.kind === 'choice') return { type: 'enum' };
  const target = a?.kind === 'value' ? a.targets[0] : key;
  return recipeKeys(r).find((k) => k.key === target)!.spec;
}

/** Bad values for a key, by its type in the schema: each must fail before anything is written. */
function badValues(key: string): string[] {
  const spec = specOf(gptPretrainPreset, key);
  const common = ['', HUGE, 'NaN', '[1]', '{"a":1}'];
  switch (spec.type) {
    case 'integer':
      return [...common, 'abc', '2.5', '1e20', '-1e20', '9007199254740993', 'Infinity', '-Infinity', '0x', '1,2', 'true', `${(spec.min ?? 0) - 1}`];
    case 'number':
      return [
        ...common, 'abc', 'Infinity', '-Infinity', '1e999', '1,2', 'true',
        `${spec.exclusiveMin ? spec.min : (spec.min ?? 0) - 1}`,
        ...(spec.max !== undefined ? [`${spec.max + 0.5}`] : []),
      ];
    case 'enum':
      return ['', HUGE, 'nope', 'CHAR', 'char,byte-bpe', ' char'];
    case 'string[]':
      return [',', ',,', 'a,,b', 'npm:moby-dick,', ',npm:moby-dick', ' ', 'npm:nope', '/nonexistent/corpus.txt', HUGE, `npm:moby-dick,${HUGE}`];
    case 'string':
      return [''];
    default:
      throw new Error(`no bad values for ${spec.type}`);
  }
}

/** [key, bad value, the key the message must name]. */
const FUZZ: [string, string, string][] = [
  ...Object.keys(gptPretrainPreset.aliases).flatMap((k) => badValues(k).map((v): [string, string, string] => [k, v, k])),
  // Valid for the schema, invalid for a plugin: the message names the key that sets the option.
  ['model.dModel', '130', 'model.nHeads'],
  ['model.nHeads', '256', 'model.nHeads'],
];

test(`fuzz: ${FUZZ.length} bad --set values for ${GPT} all exit 2, write nothing, and say so briefly`, async (t) => {
  const show = (k: string, v: string) => `${k}=${clip(v, 30)}`;
  for (const [key, value, named] of FUZZ) {
    // The same check in code first: a value that slipped through would otherwise start training.
    let caught: unknown;
    try {
      validateRecipe(configure(gptPretrainPreset, { set: { [key]: value } }));
    } catch (e) {
      caught = e;
    }
    if (!(caught instanceof GraftError) || !caught.isUsageError) {
      t.fail(`${show(key, value)} was not rejected as a usage error: ${caught instanceof Error ? caught.message.slice(0, 200) : 'accepted'}`);
      continue;
    }
    const r = await graft(['run', GPT, '--set', `${key}=${value}`]);
    t.is(r.code, 2, show(key, value));
    t.false(r.written, show(key, value));
    t.true(r.err.length < 500, `${show(key, value)}: ${r.err.length} chars: ${r.err.slice(0, 600)}`);
    const tail = named.split('.').pop()!;
    t.true(r.err.includes(named) || r.err.includes(`option "${tail}"`), `${show(key, value)}: the message names ${named}: ${r.err.slice(0, 300)}`);
  }
});

// --- the pieces, from code ------------------------------------------------------------------------

test('validateRecipe from code: stage names and no warnings for the defaults; errors carry usage codes', (t) => {
  const ok = validateRecipe(gptPretrainPreset);
  t.deepEqual(ok, { stages: ['pretrain'], warnings: [] });
  const e = t.throws(() => validateRecipe(configure(gptPretrainPreset, { set: { 'data.sources': '/nonexistent/x.txt' } })), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.CONFIG, 'a data error before the run is bad configuration');
  t.true(e.isUsageError);
});

test('schema: list entries, unsafe integers and empty strings are rejected from code too', (t) => {
  const list = { type: 'string[]', doc: '' } as const;
  const nums = { type: 'number[]', doc: '' } as const;
  t.deepEqual(parseOptionValue('p', 'k', list, ''), [], 'an empty value is the empty list');
  t.deepEqual(parseOptionValue('p', 'k', nums, ''), []);
  t.deepEqual(parseOptionValue('p', 'k', nums, '1,2'), [1, 2]);
  t.throws(() => parseOptionValue('p', 'k', nums, '1,,2'), { message: /entry 2 of 3 is empty/ });
  t.throws(() => resolveOptions('p', { k: list }, { k: ['a', ''] }), { message: /expected an array of non-empty strings/ });
  t.throws(() => new TextCorpusDataset({ sources: [''] }), { message: /option "sources".*non-empty strings/ });
  t.throws(() => new GptModel({ nLayers: 1e20 }), { message: /option "nLayers".*an integer from 1 to 9007199254740991/ });
  t.throws(() => resolveOptions('p', { s: { type: 'string', minLength: 1, doc: '' } }, { s: '' }), { message: /a non-empty string/ });
  t.notThrows(() => resolveOptions('p', { n: { type: 'integer', doc: '' } }, { n: Number.MAX_SAFE_INTEGER }));
});

test('GraftError cuts long values, paths and texts to a readable length', (t) => {
  const long = 'y'.repeat(10_000_000);
  const e = new GraftError(ErrorCodes.DATA, `bad ${long}`, { file: `/${long}`, option: long, expected: long, received: long, hint: long });
  t.true(e.message.length < 2000, `${e.message.length}`);
  t.regex(e.message, /file \/y+…y+ \(10000001 chars\): bad y+… \(10000004 chars\)/);
  t.regex(e.message, /, got "y{70,}… \(10000002 chars\)/);
  t.is(clip('short'), 'short');
  t.is(clip('abcdef', 3), 'abc… (6 chars)');
  t.is(clip('a\u{1F600}b', 2), 'a… (4 chars)', 'a surrogate pair is never cut in half');
  t.is(e.withCode(ErrorCodes.CONFIG).summary, e.summary);
});

test('args: only --set and --use repeat', (t) => {
  t.deepEqual(parseArgs(['run', 'p', '--set', 'a=1', '--set', 'b=2']).sets, ['a=1', 'b=2']);
  t.deepEqual(parseArgs(['run', 'p', '--use', 's.a=k:x', '--use=s.b=k:y']).uses, ['s.a=k:x', 's.b=k:y']);
  t.throws(() => parseArgs(['run', 'p', '--backend', 'cpu', '--backend=wasm']), { message: /--backend is given twice/ });
});
