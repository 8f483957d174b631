import test from 'ava';
import path from 'node:path';
import { GraftError } from '../../core/index.ts';
import { DESCRIBE_BEGIN, DESCRIBE_END, describeText, renderPresetReadme, updatePresetDocs } from '../../cli/presetDocs.ts';
import { PRESETS } from '../../presets/index.ts';

const root = path.resolve(import.meta.dirname, '../..');

test('every preset README holds `graft describe <preset>` as generated now (npm run docs)', async (t) => {
  const stale = await updatePresetDocs(root, { check: true });
  t.deepEqual(stale, [], `preset READMEs whose describe block differs (run npm run docs): ${stale.join(', ')}`);
});

test('the describe block lists every key of the preset and is rewritten from the code when edited by hand', async (t) => {
  const described = await describeText('gpt-next-token-pretrain');
  t.regex(described, /^recipe gpt-next-token-pretrain:/);
  t.regex(described, /pretrain\.optimizer\.beta1 +0\.9 /);
  t.regex(described, /train\.lr +0\.003 /);
  const edited = `# x\n\n${DESCRIBE_BEGIN}\n\`\`\`text\ntrain.lr 0.1\n\`\`\`\n${DESCRIBE_END}\n\nAfter.\n`;
  const out = renderPresetReadme(edited, described, 'README.md');
  t.true(out.includes(described));
  t.false(out.includes('train.lr 0.1'));
  t.true(out.endsWith(`${DESCRIBE_END}\n\nAfter.\n`));
  t.is(renderPresetReadme(out, described, 'README.md'), out, 'generating twice changes nothing');
  t.throws(() => renderPresetReadme('# no markers\n', described, 'x/README.md'), { instanceOf: GraftError, message: /x\/README\.md/ });
  t.true(Object.keys(PRESETS).length >= 3);
});
