import test from 'ava';
import { main } from '../../cli/main.ts';
import { describePlugin } from '../../cli/describePlugin.ts';
import { PLUGIN_CLASSES } from '../../plugins/index.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

test('graft describe optimizer:adamw prints the plugin and its options from the schema', async (t) => {
  const c = capture();
  t.is(await main(['describe', 'optimizer:adamw'], c.io), 0);
  const text = c.out.join('\n');
  t.regex(text, /^optimizer:adamw \(optimizer, one per recipe\): AdamW/);
  t.regex(text, /class: AdamwOptimizer/);
  t.regex(text, /\n {2}option +type +default +meaning\n/);
  t.regex(text, /\n {2}lr +number ≥ 0 +0\.001 +Base learning rate/);
  t.regex(text, /\n {2}beta2 +number in \[0, 1\] +0\.999 +Decay of the second moment/);
  t.regex(text, /\n {2}groups +any +\[\] +Parameter groups/);
  t.deepEqual(c.err, []);
});

test('graft describe: dependencies, options without a default, a plugin without options', async (t) => {
  const lm = capture();
  t.is(await main(['describe', 'head:lm'], lm.io), 0);
  t.regex(lm.out.join('\n'), /depends on: model:\*/);
  t.regex(lm.out.join('\n'), /\n {2}vocabSize +integer ≥ 1 +- +Untied only/);
  const c = capture();
  t.is(await main(['describe', 'scheduler:constant'], c.io), 0);
  t.regex(c.out.join('\n'), /options: none$/);
});

test('graft describe of an unknown plugin exits 2 naming it and the plugins of its kind', async (t) => {
  const c = capture();
  t.is(await main(['describe', 'scheduler:cosine'], c.io), 2);
  t.regex(c.err.join('\n'), /unknown plugin "scheduler:cosine"; expected one of scheduler:constant, .*scheduler:warmup-cosine.* \[GRAFT_ERR_CONFIG\]/);
  const k = capture();
  t.is(await main(['describe', 'optimizers:adamw'], k.io), 2);
  t.regex(k.err.join('\n'), /Did you mean optimizer:adamw\?/);
});

test('graft describe <plugin> takes one name and no --set', async (t) => {
  const extra = capture();
  t.is(await main(['describe', 'optimizer:adamw', 'more'], extra.io), 2);
  t.regex(extra.err.join('\n'), /unexpected argument "more".*\[GRAFT_ERR_USAGE\]/);
  const set = capture();
  t.is(await main(['describe', 'optimizer:adamw', '--set', 'lr=1'], set.io), 2);
  t.regex(set.err.join('\n'), /takes no --set.*\[GRAFT_ERR_USAGE\]/);
});

test('every catalog plugin can be described, one row per option', (t) => {
  for (const cls of PLUGIN_CLASSES) {
    const text = describePlugin(cls);
    t.true(text.startsWith(`${cls.meta.name} (${cls.meta.kind}`), cls.meta.name);
    for (const key of Object.keys(cls.options)) t.regex(text, new RegExp(`\\n {2}${key} `), `${cls.meta.name} ${key}`);
  }
});
