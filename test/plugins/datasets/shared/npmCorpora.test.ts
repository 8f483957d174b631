import test from 'ava';
import { loadMobyDick, loadSotu, spamAssassinLabel } from '../../../../plugins/datasets/shared/npmCorpora.ts';

test('Moby Dick: one document per chapter in book order, numbered chapters with their heading', (t) => {
  const docs = loadMobyDick('p');
  t.is(docs.length, 139);
  t.is(docs[3]!.id, 'npm:moby-dick/1');
  t.true(docs[3]!.text.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael.'));
  t.is(docs[138]!.id, 'npm:moby-dick/Epilogue');
});

test('State of the Union: filtered by inclusive year range and party, sorted by year', (t) => {
  const docs = loadSotu('p', { years: [1961, 1965] });
  t.deepEqual(
    docs.map((d) => d.id.replace('npm:sotu/', '').slice(0, 4)),
    ['1961', '1961', '1962', '1963', '1964', '1965'],
  );
  const rep = loadSotu('p', { years: [1961, 1965], parties: ['Republican'] });
  t.deepEqual(rep.map((d) => d.id), ['npm:sotu/1961 Dwight D Eisenhower']);
  t.true(rep[0]!.text.length > 1000);
});

test('SpamAssassin groups map to ham and spam', (t) => {
  t.is(spamAssassinLabel('easy-ham-2'), 'ham');
  t.is(spamAssassinLabel('hard-ham-1'), 'ham');
  t.is(spamAssassinLabel('spam-1'), 'spam');
});
