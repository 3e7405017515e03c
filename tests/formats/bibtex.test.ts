import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBibtex } from '../../src/formats/bibtex.ts';
import { SAMPLES } from '../support/oai-server.ts';

const sample = (file: string) => readFileSync(join(SAMPLES, file), 'utf8');

describe('reading BibTeX', () => {
  it('reads the publisher\'s export of the seed paper: journal, volume, number, pages, ISSN, DOI and its own abstract', () => {
    const { entries, problems } = readBibtex(sample('bibtex-publisher-bjgp-2020-0917.bib'), 'published');
    expect(problems).toEqual([]);
    expect(entries).toHaveLength(1);
    const f = entries[0]!.fields;
    expect(entries[0]!.key).toBe('Warwick-Gilese711');
    expect(f.title).toBe('Exploring commissioners’ understandings of early primary care network development: qualitative interview study');
    expect(f.container).toEqual({ title: 'British Journal of General Practice', volume: '71', issue: '710', pages: 'e711-e718', issn: ['0960-1643'], isbn: [] });
    expect(f.publisher).toBe('Royal College of General Practitioners');
    expect(f.creators.map((p) => p.name)).toEqual(['Warwick-Giles, Lynsey', 'Hammond, Jonathan', 'Bailey, Simon', 'Checkland, Kath']);
    expect(f.abstract).toContain('tensions between PCN policy and locally commissioned services');
    expect(f.abstract).toContain('a ‘blank slate’');
    expect(f.dates.published).toEqual({ value: '2021', field: 'bibtex year' });
    expect(f.type.label).toBe('journal article');
    expect(f.version).toEqual({ value: 'published', field: 'bibtex source version' });
    expect(f.landingPage).toBe('https://bjgp.org/content/71/710/e711');
    expect(f.files).toEqual([expect.objectContaining({ url: 'https://bjgp.org/content/71/710/e711.full.pdf', version: 'published' })]);
    expect(f.doiCandidates[0]).toEqual({ value: '10.3399/BJGP.2020.0917', field: 'bibtex doi', rank: 1 });
  });

  it('reads Crossref\'s two export formats: a bare capitalised month macro, a braced lower-case one, en dashes, an encoded URL', () => {
    const current = readBibtex(sample('crossref/bibtex-crossref-transform-2026-frank1970.bib'), 'published').entries[0]!.fields;
    expect(current.dates.published).toEqual({ value: '1970-08', field: 'bibtex year and month' });
    expect(current.container).toMatchObject({ title: 'Science', volume: '169', issue: '3946', pages: '635-641' });
    expect(current.landingPage).toBeNull();
    const old = readBibtex(sample('crossref/bibtex-crossref-transform-2022-sici-doi.bib'), 'published').entries[0]!.fields;
    expect(old.dates.published).toEqual({ value: '1999-11', field: 'bibtex year and month' });
    // Titles keep the casing they were written in.
    expect(old.title).toBe('EVOLUTIONARY DIVERGENCES IN LEAF STRUCTURE AND CHEMISTRY, COMPARING RAINFALL AND SOIL NUTRIENT GRADIENTS');
    expect(old.doiCandidates.map((c) => c.value)).toEqual(['10.1890/0012-9615(1999)069[0569:edilsa]2.0.co;2', 'https://doi.org/10.1890%2F0012-9615%281999%29069%5B0569%3Aedilsa%5D2.0.co%3B2']);
  });

  it('reads a Pure export: quoted values, a numeric month and a day, a thesis with its ISBN and school', () => {
    const f = readBibtex(sample('crossref/bibtex-pure-export-phdthesis.bib'), 'accepted').entries[0]!.fields;
    expect(f.dates.published).toEqual({ value: '2018-04-25', field: 'bibtex year, month and day' });
    expect(f.type.label).toBe('doctoral thesis');
    expect(f.container.isbn).toEqual(['9789038645032']);
    expect(f.publisher).toBe('Technische Universiteit Eindhoven');
    expect(f.language).toBe('en');
    expect(f.version?.value).toBe('accepted');
  });

  it('expands @string macros and # concatenation, LaTeX accents and text commands, month macros in any case', () => {
    const bib = `@string{ jgp = "Journal of " # "General Practice" }
@String{AUTH = {M{\\"u}ller, J{\\'e}r{\\^o}me}}
@Article{a1,
  title = {Patients{\\textquoteright} views of {GP} care},
  author = AUTH # { and Smith, Ann},
  journal = jgp,
  year = 2020, month = DEC,
  doi = {https://doi.org/10.1000/ABC.1},
}
@comment{ not an entry }
@inproceedings{b2, title = "A talk", booktitle = {Proc. of Things}, year = "2019", month = "mar", pages = "1--10"}`;
    const { entries } = readBibtex(bib, 'published');
    expect(entries.map((e) => [e.key, e.line])).toEqual([['a1', 3], ['b2', 11]]);
    const [a, b] = entries.map((e) => e.fields);
    expect(a!.title).toBe('Patients’ views of GP care');
    expect(a!.creators.map((p) => p.name)).toEqual(['Müller, Jérôme', 'Smith, Ann']);
    expect(a!.container.title).toBe('Journal of General Practice');
    expect(a!.dates.published!.value).toBe('2020-12');
    expect(b!.dates.published!.value).toBe('2019-03');
    expect(b!.container).toMatchObject({ title: 'Proc. of Things', pages: '1-10' });
    expect(b!.type.label).toBe('conference paper');
  });

  it('keeps the entries it can read when another is broken, and says where the broken one is', () => {
    const bib = '@article{good, title = {Fine}, year = 2020}\n\n@article{bad, title = {Unclosed, year = 2021}\n';
    const { entries, problems } = readBibtex(bib, 'published');
    expect(entries.map((e) => e.key)).toContain('good');
    expect(problems.length).toBeGreaterThan(0);
  });
});
