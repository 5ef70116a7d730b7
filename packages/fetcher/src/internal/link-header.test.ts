import { describe, expect, it } from 'vitest';
import { nextLink } from './link-header.js';

describe('nextLink', () => {
  const base = 'https://api.example.com/v1/events?after=5';

  it('finds rel="next" among other links and resolves it against the request URL', () => {
    const header =
      '</v1/events?after=0>; rel="first", </v1/events?after=10&x=a,b>; rel="next"; title="more"';
    expect(nextLink(header, base)?.href).toBe('https://api.example.com/v1/events?after=10&x=a,b');
  });

  it('accepts an unquoted rel and a rel list', () => {
    expect(nextLink('<https://x.test/p2>; rel=next', base)?.href).toBe('https://x.test/p2');
    expect(nextLink('<https://x.test/p3>; rel="prefetch next"', base)?.href).toBe(
      'https://x.test/p3',
    );
  });

  it('returns undefined without a next link or header', () => {
    expect(nextLink(null, base)).toBeUndefined();
    expect(nextLink('<https://x.test/p1>; rel="prev"', base)).toBeUndefined();
    expect(nextLink('garbage', base)).toBeUndefined();
  });
});
