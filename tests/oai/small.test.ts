import { describe, expect, it } from 'vitest';
import { fromWithOverlap, toProtocolDate } from '../../src/oai/dates.ts';
import { oaiErrorFrom, BadArgumentError, UnknownOaiError, NoRecordsMatchError } from '../../src/oai/errors.ts';
import { backoffDelay, parseRetryAfter } from '../../src/oai/retry-after.ts';
import { decodeSetSpec } from '../../src/oai/setspec.ts';

describe('decodeSetSpec', () => {
  it.each([
    ['7374617475733D707562', 'status=pub'],
    ['74797065733D61727469636C65', 'types=article'],
    ['7375626A656374733D41:415F3133:415F31335F333135', 'subjects=A:A_13:A_13_315'],
    ['driver', 'driver'],
    ['com_1721.1_140587', 'com_1721.1_140587'],
    ['ABC', 'ABC'],
    ['CAFE', 'CAFE'],
  ])('%s → %s', (spec, decoded) => expect(decodeSetSpec(spec)).toBe(decoded));
});

describe('protocol dates', () => {
  it('sends from and until at the server granularity, until covering its whole day', () => {
    expect(toProtocolDate('2021-07-30', 'YYYY-MM-DDThh:mm:ssZ', 'from')).toBe('2021-07-30T00:00:00Z');
    expect(toProtocolDate('2021-07-30', 'YYYY-MM-DDThh:mm:ssZ', 'until')).toBe('2021-07-30T23:59:59Z');
    expect(toProtocolDate('2021-07-30T08:45:00Z', 'YYYY-MM-DD', 'until')).toBe('2021-07-30');
    expect(() => toProtocolDate('30/07/2021', 'YYYY-MM-DD', 'from')).toThrow(RangeError);
  });

  it('starts incremental runs from the responseDate minus the overlap', () => {
    expect(fromWithOverlap('2021-07-30T08:45:00Z', 3_600_000, 'YYYY-MM-DDThh:mm:ssZ')).toBe('2021-07-30T07:45:00Z');
    expect(fromWithOverlap('2021-07-30T00:30:00Z', 3_600_000, 'YYYY-MM-DD')).toBe('2021-07-29');
    expect(fromWithOverlap('2021-07-30T08:45:00+05:45', 0, 'YYYY-MM-DDThh:mm:ssZ')).toBe('2021-07-30T03:00:00Z');
  });
});

describe('Retry-After and backoff', () => {
  it('reads seconds and HTTP-dates', () => {
    const now = Date.parse('2021-07-30T08:45:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 30 Jul 2021 08:46:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Fri, 30 Jul 2021 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(4, 1000, 60_000, () => 0)).toBe(4000);
    expect(backoffDelay(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});

describe('OAI error mapping', () => {
  it('maps several errors to the most consequential and keeps them all', () => {
    const error = oaiErrorFrom([{ code: 'noRecordsMatch', message: 'none' }, { code: 'badArgument', message: 'bad from' }], {});
    expect(error).toBeInstanceOf(BadArgumentError);
    expect(error.errors).toHaveLength(2);
    expect(oaiErrorFrom([{ code: 'InternalException', message: 'boom' }], {})).toBeInstanceOf(UnknownOaiError);
    expect(oaiErrorFrom([{ code: 'noRecordsMatch', message: '' }], {})).toBeInstanceOf(NoRecordsMatchError);
  });
});

describe('resumptionToken', () => {
  it('is empty when blank, whitespace-only or self-closing, keeping its attributes', async () => {
    const { readToken } = await import('../../src/oai/response.ts');
    const { parseOaiXml, childOf, elementOf } = await import('../../src/oai/xml.ts');
    const token = (xml: string) => {
      const { root } = parseOaiXml(Buffer.from(`<OAI-PMH><ListRecords>${xml}</ListRecords></OAI-PMH>`));
      return readToken(elementOf(childOf(root, 'ListRecords')) ?? {});
    };
    expect(token('<resumptionToken>  \n\t </resumptionToken>')).toEqual({ value: '' });
    expect(token('<resumptionToken completeListSize="5" cursor="0"/>')).toEqual({ value: '', completeListSize: 5, cursor: 0 });
    expect(token('<resumptionToken cursor="12" completeListSize="x">\n  abc  \n</resumptionToken>')).toEqual({ value: 'abc', cursor: 12 });
    expect(token('')).toBeUndefined();
  });
});
