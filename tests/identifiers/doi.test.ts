import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseDoi, doiKey, doiUrl, findDois, isValidDoi, normalizeDoi } from '../../src/identifiers/doi.ts';

describe('normalizeDoi', () => {
  it.each([
    ['10.3399/BJGP.2020.0917', '10.3399/BJGP.2020.0917'],
    ['https://doi.org/10.3399/bjgp.2020.0917', '10.3399/bjgp.2020.0917'],
    ['http://dx.doi.org/10.1016/j.physb.2012.12.047', '10.1016/j.physb.2012.12.047'],
    ['doi:10.1016/j.cell.2009.01.002', '10.1016/j.cell.2009.01.002'],
    ['DOI: 10.1016/j.cell.2009.01.002.', '10.1016/j.cell.2009.01.002'],
    ['info:doi/10.1186/1471-2105-11-1', '10.1186/1471-2105-11-1'],
    ['urn:doi:10.1186/1471-2105-11-1', '10.1186/1471-2105-11-1'],
    ['info:eu-repo/semantics/altIdentifier/doi/http://dx.doi.org/10.1016/j.physb.2012.12.047', '10.1016/j.physb.2012.12.047'],
    ['info:eu-repo/semantics/altIdentifier/doi/10.1000/xyz', '10.1000/xyz'],
    ['https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0', '10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0'],
    ['10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0', '10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0'],
    ['https://doi.org/10.1000/abc?utm_source=x#frag', '10.1000/abc'],
    ['10.1002/abc%2Fdef', '10.1002/abc%2Fdef'],
    ['https://doi.org/10.1002/abc%2Fdef', '10.1002/abc/def'],
    ['(10.1000/abc)', undefined],
    ['10.1000/abc)', '10.1000/abc'],
    ['10.1000/abc(1)', '10.1000/abc(1)'],
    ['10.1234//double', '10.1234/double'],
    ['\u200B10.1000/zero\u00ADwidth ', '10.1000/zerowidth'],
    ['https://doi.org/10.13039/501100000266', undefined],
    ['info:eu-repo/semantics/reference/doi/10.1000/cited', undefined],
    ['https://kar.kent.ac.uk/89524/', undefined],
    ['10.12/too-short-prefix', undefined],
    ['', undefined],
  ])('%s → %s', (input, expected) => expect(normalizeDoi(input)).toBe(expected));
});

describe('findDois', () => {
  it('finds DOIs inside a citation, as text', () => {
    const citation = 'Smith, J. (2021) Uneven advantages. British Journal of General Practice, 71 (710). e711-e718. ISSN 0960-1643. DOI: 10.3399/BJGP.2020.0917.';
    expect(findDois(citation, 'dc:identifier', 3)).toMatchObject([{ doi: '10.3399/BJGP.2020.0917', form: 'text', key: '10.3399/bjgp.2020.0917' }]);
    expect(findDois('See https://doi.org/10.1000/a%2Fb and doi:10.1000/c.', 'note', 3).map((c) => c.doi)).toEqual(['10.1000/a/b', '10.1000/c']);
  });

  it('skips cited works, datasets and funders', () => {
    expect(findDois('info:eu-repo/semantics/reference/doi/10.1000/x', 'dc:relation', 2)).toEqual([]);
    expect(findDois('info:eu-repo/semantics/dataset/doi/10.1000/x', 'dc:relation', 2)).toEqual([]);
    expect(findDois('https://doi.org/10.13039/501100000266', 'funder_id', 2)).toEqual([]);
  });
});

describe('chooseDoi', () => {
  it('prefers an explicit identifier over a DOI in text, and explains the choice', () => {
    const choice = chooseDoi([
      ...findDois('Smith (2021). doi:10.1000/from-citation', 'dc:identifier', 3),
      ...findDois('10.3399/BJGP.2020.0917', 'dc:relation', 3),
      ...findDois('https://doi.org/10.3399/bjgp.2020.0917', 'dc:relation', 2),
    ])!;
    expect(choice).toMatchObject({ doi: '10.3399/bjgp.2020.0917', key: '10.3399/bjgp.2020.0917', field: 'dc:relation', form: 'url', conflict: true });
    expect(choice.all.map((c) => c.key)).toEqual(['10.3399/bjgp.2020.0917', '10.1000/from-citation']);
    expect(choice.reason).toBe('a DOI URL in dc:relation; preferred over 10.1000/from-citation (dc:identifier, a DOI inside text)');
  });

  it('ranks a repository-minted DOI after the publisher one', () => {
    const choice = chooseDoi([...findDois('https://doi.org/10.5281/zenodo.1', 'dc:identifier', 2), ...findDois('10.1000/pub', 'dc:relation', 3)])!;
    expect(choice.doi).toBe('10.1000/pub');
  });

  it('is undefined without candidates', () => expect(chooseDoi([])).toBeUndefined());
});

// A DOI suffix of characters Crossref's main pattern allows, not ending in punctuation
// that tidying would remove.
const suffix = fc
  .stringMatching(/^[A-Za-z0-9][-._;()/:A-Za-z0-9]{0,30}[A-Za-z0-9]$/)
  .filter((s) => !s.includes('//') && [...s].filter((c) => c === '(').length === [...s].filter((c) => c === ')').length);
const doiArb = fc.tuple(fc.integer({ min: 1000, max: 999_999_999 }), suffix).map(([p, s]) => `10.${p}/${s}`);

describe('DOI properties', () => {
  it('every written form of a DOI normalises back to it', () => {
    fc.assert(
      fc.property(doiArb, fc.constantFrom('', 'doi:', 'DOI: ', 'info:doi/', 'https://doi.org/', 'http://dx.doi.org/', 'info:eu-repo/semantics/altIdentifier/doi/'), fc.constantFrom('', '.', ',', ' '), (doi, prefix, trailing) => {
        const written = prefix.startsWith('http') ? doiUrl(doi).replace('https://doi.org/', prefix) : `${prefix}${doi}`;
        expect(normalizeDoi(`${written}${trailing}`)).toBe(doi);
      }),
    );
  });

  it('doiUrl round-trips, and keys ignore case', () => {
    fc.assert(
      fc.property(doiArb, (doi) => {
        expect(normalizeDoi(doiUrl(doi))).toBe(doi);
        expect(doiKey(normalizeDoi(doi.toUpperCase())!)).toBe(doiKey(doi));
        expect(isValidDoi(doi)).toBe(true);
      }),
    );
  });

  it('junk never yields a DOI, and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (junk) => {
        const found = normalizeDoi(junk);
        if (found !== undefined) expect(isValidDoi(found)).toBe(true);
        for (const c of findDois(junk, 'x', 1)) expect(isValidDoi(c.doi)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }).filter((s) => !s.includes('10.')), (s) => {
        expect(normalizeDoi(s)).toBeUndefined();
      }),
    );
  });
});
