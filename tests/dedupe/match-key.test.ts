import { describe, expect, it } from 'vitest';
import { matchKey } from '../../src/dedupe/match-key.ts';

const record = (title: string | null, published: string | null, creator: string | null) => ({
  title,
  dates: { published: published ? { value: published, field: 'x' } : null, accepted: null, deposited: null, firstCompliantDeposit: null, available: null, modified: null },
  creators: creator ? [{ name: creator, family: creator.split(',')[0]!, given: null, orcid: null }] : [],
});

describe('matchKey', () => {
  it('ignores case, punctuation and accents, and keeps the year only', () => {
    expect(matchKey(record('Économie de la santé: une étude!', '2021-07-30', 'Müller, A.'))).toBe('economie de la sante une etude|2021|muller');
    expect(matchKey(record('economie de la SANTE une etude', '2021', 'Muller, B.'))).toBe('economie de la sante une etude|2021|muller');
  });

  it('makes no guess without a title, a year or a creator, or with a title too short to tell', () => {
    expect(matchKey(record(null, '2021', 'A, B'))).toBeNull();
    expect(matchKey(record('A long enough title', null, 'A, B'))).toBeNull();
    expect(matchKey(record('A long enough title', '2021', null))).toBeNull();
    expect(matchKey(record('Editorial', '2021', 'A, B'))).toBeNull();
  });
});
