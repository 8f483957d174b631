import { clip, ErrorCodes, GraftError } from '../../../core/index.ts';
import { loadMobyDick, loadSotu, type SotuFilter, type SourceDocument } from '../shared/npmCorpora.ts';
import { loadTextPath } from '../shared/textFiles.ts';

/** `npm:` corpora this dataset can read. */
export const TEXT_CORPORA: Record<string, (plugin: string, o: { sotu: SotuFilter }) => SourceDocument[]> = {
  'moby-dick': (plugin) => loadMobyDick(plugin),
  sotu: (plugin, o) => loadSotu(plugin, o.sotu),
};

/** Throw (code DATA) if `source` is an `npm:` name this dataset does not know. */
export function checkSource(source: string, plugin: string): void {
  if (!source.startsWith('npm:')) return;
  const name = source.slice(4);
  if (!Object.hasOwn(TEXT_CORPORA, name)) {
    throw new GraftError(ErrorCodes.DATA, `unknown corpus "${clip(source)}"`, {
      plugin,
      option: 'sources',
      expected: `one of ${Object.keys(TEXT_CORPORA).map((k) => `npm:${k}`).join(', ')}, a file or a folder`,
    });
  }
}

/**
 * Load the documents of every source in order, then cut the whole to `maxChars` characters
 * (0 = no cut). An empty result is an error naming the sources.
 */
export function loadCorpus(
  sources: readonly string[],
  texts: readonly string[],
  o: { sotu: SotuFilter; maxChars: number; plugin: string },
): SourceDocument[] {
  const docs: SourceDocument[] = [];
  for (const s of sources) {
    checkSource(s, o.plugin);
    const loaded = s.startsWith('npm:') ? TEXT_CORPORA[s.slice(4)]!(o.plugin, o) : loadTextPath(s, o.plugin);
    if (loaded.every((d) => d.text.length === 0)) {
      throw new GraftError(ErrorCodes.DATA, `source "${s}" has no text`, {
        plugin: o.plugin,
        file: s.startsWith('npm:') ? undefined : loaded[0]?.id,
        hint: s === 'npm:sotu' ? 'Check sotuYears and sotuParties: no speech matches them' : undefined,
      });
    }
    docs.push(...loaded);
  }
  texts.forEach((text, i) => docs.push({ id: `texts[${i}]`, text }));
  const cut = o.maxChars > 0 ? truncateDocs(docs, o.maxChars) : docs.filter((d) => d.text.length > 0);
  if (cut.length === 0) {
    throw new GraftError(ErrorCodes.DATA, 'the corpus is empty', {
      plugin: o.plugin,
      option: 'sources',
      received: [...sources, ...(texts.length ? [`${texts.length} texts`] : [])],
    });
  }
  return cut;
}

/** The first `maxChars` characters of the documents, document boundaries kept; empty ones dropped. */
export function truncateDocs(docs: readonly SourceDocument[], maxChars: number): SourceDocument[] {
  const out: SourceDocument[] = [];
  let left = maxChars;
  for (const d of docs) {
    if (left <= 0) break;
    if (d.text.length === 0) continue;
    const text = d.text.length > left ? d.text.slice(0, left) : d.text;
    out.push({ id: d.id, text });
    left -= text.length;
  }
  return out;
}
