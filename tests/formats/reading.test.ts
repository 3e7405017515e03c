// The kinds of misreading the real-world corpus showed, one at a time, on values as
// repositories write them (each seen in a captured record).
import { describe, expect, it } from 'vitest';
import { fromOaiDc, type DublinCore } from '../../src/formats/oai-dc.ts';
import { commonRecord } from '../../src/formats/merge.ts';
import { people, person } from '../../src/formats/names.ts';
import { coarConcept, resourceType } from '../../src/formats/resource-types.ts';
import { clean, partialDate, statedVersion } from '../../src/formats/vocabulary.ts';
import { resolveDoi } from '../../src/identifiers/record-doi.ts';

const COAR = 'http://purl.org/coar/resource_type/';
const header = (identifier = 'oai:repo.example:1', setSpecs: string[] = []) => ({ identifier, datestamp: '2015-05-15T13:08:56Z', setSpecs, deleted: false });
const read = (dc: DublinCore, identifier?: string, setSpecs?: string[]) => {
  const h = header(identifier, setSpecs);
  return resolveDoi(commonRecord('s', h, [{ format: 'oai_dc', fields: fromOaiDc(dc, h) }]));
};

describe('the record\'s own DOI', () => {
  it('is its identifier, not a relation to a file of it, its package or its article (Dryad)', () => {
    const file = read({ identifier: ['doi:10.5061/dryad.n7j8q/1', 'http://hdl.handle.net/10255/dryad.53832'], relation: ['doi:10.5061/dryad.n7j8q'], type: ['Dataset'] });
    expect(file.doi).toBe('10.5061/dryad.n7j8q/1');
    const pkg = read({ identifier: ['doi:10.5061/dryad.b56n0'], relation: ['doi:10.5061/dryad.b56n0/1', 'doi:10.1111/mec.13233'], type: ['Article'] }, 'oai:datadryad.org:10255/dryad.49154');
    expect(pkg.doi).toBe('10.5061/dryad.b56n0');
    expect(pkg.type.coar).toBe(`${COAR}c_ddb1`);
  });

  it('is never a qualified relation to another object', () => {
    expect(read({ relation: ['IsSupplementTo: doi:10.1000/article', 'isPartOf 10.1000/whole'] }).doi).toBeNull();
  });

  it('is found in a citation in dc:rights or a note on the published version, never in an abstract', () => {
    expect(read({ rights: ['Citation: J Biol Chem. 2010;285(31):23750-9. doi: 10.1074/jbc.M110.121848.'] }).doi).toBe('10.1074/jbc.m110.121848');
    expect(read({ description: ['This is the author accepted manuscript. The final version is available from Wiley via http://dx.doi.org/10.1002/jbmr.2552'] }).doi).toBe('10.1002/jbmr.2552');
    expect(read({ description: ['Recently Yu and Sun [Int. J. Theor. Phys. DOI 10.1007/s10773-014-2360-x] have shown that …'] }).doi).toBeNull();
  });

  it('gets back the bracket the record cut off, and a character the capture lost', () => {
    expect(read({ relation: ['doi:10.1044/1092-4388(2006/085'] }).doi).toBe('10.1044/1092-4388(2006/085)');
    expect(read({ identifier: ['http://dx.doi.org/10.1242/?jeb.124362'] }).doi).toBe('10.1242/jeb.124362');
  });

  it('is not the book\'s DOI on a chapter', () => {
    expect(read({ type: ['bookChapter'], identifier: ['https://doi.org/10.1007/978-3-319-18167-7'] }).doi).toBeNull();
    expect(read({ type: ['bookChapter'], identifier: ['https://doi.org/10.1007/978-3-319-18167-7_4'] }).doi).toBe('10.1007/978-3-319-18167-7_4');
  });
});

describe('the version the record states', () => {
  it('reads OpenAIRE, labels and sentences', () => {
    expect(read({ type: ['info:eu-repo/semantics/article', 'info:eu-repo/semantics/publishedVersion'] }).version).toEqual({ value: 'published', field: 'dc:type' });
    expect(read({ type: ['Article, scholarly/refereed, author accepted manuscript'] })).toMatchObject({ version: { value: 'accepted' }, peerReviewed: true, type: { coar: `${COAR}c_6501` } });
    expect(read({ description: ['This is the accepted manuscript. It is currently embargoed pending publication.', 'The abstract.'] })).toMatchObject({
      version: { value: 'accepted', field: 'dc:description' }, abstract: 'The abstract.',
    });
    expect(statedVersion("NOTICE: this is the author's version of a work that was accepted for publication in Journal")).toBe('accepted');
    expect(statedVersion('publisher version')).toBe('published');
    expect(read({ type: ['Article'], description: ['We studied how the accepted manuscript differs…'] }).version).toBeNull();
  });
});

describe('creators', () => {
  it('are the authors among contributors, with the role taken off', () => {
    const r = read({ contributor: ['Magee, Daniel (Author)', 'Beard, Rachel (Author)', 'Arizona State University (Publisher)'] });
    expect(r.creators.map((c) => c.name)).toEqual(['Magee, Daniel', 'Beard, Rachel']);
    expect(r.contributors.map((c) => c.name)).toEqual(['Arizona State University']);
  });

  it('lose "et al.", degrees, titles, life dates and affiliations, but keep Jr.', () => {
    expect(person('Jenni Schmitt et al.').name).toBe('Jenni Schmitt');
    expect(person('King, Art, Ph.D.').name).toBe('King, Art');
    expect(person('Tan, Prof. Dr. Uner')).toMatchObject({ family: 'Tan', given: 'Uner' });
    expect(person('Murphy, James L., 1941-').name).toBe('Murphy, James L.');
    expect(person('Walder, Heather, AUTHOR (University of Wisconsin-Madison)').name).toBe('Walder, Heather');
    expect(person('Torres, David R., M. D.').name).toBe('Torres, David R.');
    expect(person('Robbins, Richard A., Jr.').name).toBe('Robbins, Richard A., Jr.');
  });

  it('are split only where the value is unambiguously several people', () => {
    expect(people('Smith, J.; Jones, K.')).toEqual(['Smith, J.', 'Jones, K.']);
    expect(people('Mark H. Overmars, A. Frank van der Stappen, et al.')).toEqual(['Mark H. Overmars', 'A. Frank van der Stappen']);
    expect(people('García Márquez, Gabriel José')).toEqual(['García Márquez, Gabriel José']);
    expect(people('Smith, John')).toEqual(['Smith, John']);
  });
});

describe('types', () => {
  it('come from the most specific label, not the first', () => {
    expect(resourceType(['Text', 'JournalArticle']).coar).toBe(`${COAR}c_6501`);
    expect(resourceType(['Thesis', 'info:eu-repo/semantics/doctoralThesis']).coar).toBe(`${COAR}c_db06`);
    expect(resourceType(['Technical Report']).coar).toBe(`${COAR}c_18gh`);
    expect(resourceType(['Conference Proceeding']).coar).toBe(`${COAR}c_f744`);
    expect(resourceType(['Monograph or Book']).coar).toBe(`${COAR}c_2f33`);
    expect(resourceType(['Research Paper or Report']).coar).toBe(`${COAR}c_93fc`);
    expect(resourceType(['survey data']).coar).toBe(`${COAR}NHD0-W6SY`);
  });

  it('name the COAR concepts by their right URIs', () => {
    expect(resourceType(['http://purl.org/coar/resource_type/c_86bc']).label).toBe('bibliography');
    expect(resourceType(['http://purl.org/coar/resource_type/c_ba08']).label).toBe('book review');
    expect(resourceType(['http://purl.org/coar/resource_type/c_b239']).label).toBe('editorial');
    expect(coarConcept('Editorial')).toBe('c_b239');
    expect(coarConcept('Book review')).toBe('c_ba08');
  });

  it('take a platform\'s convention or a series when the labels say only text', () => {
    expect(read({ type: ['text'] }, 'oai:arXiv.org:1501.00001').type.coar).toBe(`${COAR}c_816b`);
    expect(read({ type: ['text'], source: ["Master's Theses and Project Reports"] }).type.coar).toBe(`${COAR}c_bdcc`);
    expect(read({ type: ['Thesis'], relation: ['The Ohio State University. College of Nursing Honors Theses; 2004'] }).type.coar).toBe(`${COAR}c_7a1f`);
    expect(read({ type: ['info:eu-repo/semantics/other'] }, 'oai:zenodo.org:1', ['software']).type.coar).toBe(`${COAR}c_5ce6`);
  });
});

describe('dates and text', () => {
  it('read month-first and day-first dates only when one reading alone is possible', () => {
    expect(partialDate('12-20-2007')).toBe('2007-12-20');
    expect(partialDate('20.12.2007')).toBe('2007-12-20');
    expect(partialDate('05-06-2007')).toBe('2007');
    expect(partialDate('December 20, 2007')).toBe('2007-12-20');
    expect(partialDate('2021-02-30')).toBe('2021-02');
  });

  it('drop zero-width spaces', () => {
    expect(clean('A title\u200B')).toBe('A title');
    expect(read({ title: ['Notes on the <em>Noturus stimosus</em>\u200B'] }).title).toBe('Notes on the Noturus stimosus');
  });

  it('read a container from dc:source as repositories write it', () => {
    expect(read({ type: ['Article'], source: ['British Journal of General Practice, 71(710), e711-e718'] }).container).toMatchObject({
      title: 'British Journal of General Practice', volume: '71', issue: '710', pages: 'e711-e718',
    });
    expect(read({ type: ['Article'], source: ['JASIS 49(8)'] }).container).toMatchObject({ title: 'JASIS', volume: '49', issue: '8', pages: null });
    expect(read({ type: ['Article'], source: ['Journal, vol. 3, no. 2, pp. 1-10'] }).container).toMatchObject({ title: 'Journal', volume: '3', issue: '2', pages: '1-10' });
    // Digital Commons writes its series in dc:source: never a container.
    expect(read({ type: ['text'], source: ['Psychology Faculty Research'] }).container.title).toBeNull();
  });
});
