import { describe, expect, it } from 'vitest';
import { redactDeep, redactText, redactUrl, registerSecret } from '../../src/oai/secrets.ts';
import { HarvestError } from '../../src/oai/errors.ts';

describe('secrets', () => {
  it('leave a URL: userinfo dropped, credential-like parameters redacted, the rest kept', () => {
    expect(redactUrl('https://me:pw@repo.example/oai?verb=Identify&api_key=abc&token=t&set=a')).toBe(
      'https://repo.example/oai?verb=Identify&api_key=REDACTED&token=REDACTED&set=a',
    );
    expect(redactUrl('https://repo.example/oai?resumptionToken=x')).toBe('https://repo.example/oai?resumptionToken=x');
    expect(redactUrl('https://repo.example/r5?customer_id=c&requestor=r', ['customer_id'])).toBe('https://repo.example/r5?customer_id=REDACTED&requestor=r');
  });

  it('leave free text and every error message, whatever form a registered secret takes there', () => {
    registerSecret('s3cret/key+1');
    expect(redactText('Invalid key s3cret/key+1 for https://x.example/a?api_key=s3cret%2Fkey%2B1.')).toBe('Invalid key REDACTED for https://x.example/a?api_key=REDACTED.');
    expect(new HarvestError('server said: s3cret/key+1', { url: 'https://u:p@x.example/?key=k' })).toMatchObject({ message: 'server said: REDACTED', url: 'https://x.example/?key=REDACTED' });
    expect(redactDeep({ a: ['s3cret/key+1'], n: 3 })).toEqual({ a: ['REDACTED'], n: 3 });
  });
});
