import type { IncomingMessage } from 'node:http';
import { describe, it, expect } from 'vitest';
import { compileAuth } from './auth.js';

const req = (headers: Record<string, string>): IncomingMessage =>
  ({ headers }) as unknown as IncomingMessage;
const q = (s = ''): URLSearchParams => new URLSearchParams(s);

describe('compileAuth', () => {
  it('reports invalid forms instead of throwing', () => {
    const issues: string[] = [];
    expect(compileAuth(issues, 'auth', { bearer: 'x' })).toBeUndefined();
    expect(compileAuth(issues, 'auth', { basic: { username: 'u' } })).toBeUndefined();
    expect(compileAuth(issues, 'auth', { header: 'h', values: [] })).toBeUndefined();
    expect(compileAuth(issues, 'auth', { nope: 1 })).toBeUndefined();
    expect(compileAuth(issues, 'auth', 'secret')).toBeUndefined();
    expect(issues).toHaveLength(5);
    // The secret itself never appears in a message.
    expect(issues.join('\n')).not.toContain('secret"');
  });

  it('bearer: scheme is case-insensitive; prefixes and extensions of a token do not match', () => {
    const a = compileAuth([], 'auth', { bearer: ['tok'] })!;
    expect(a.verify(req({ authorization: 'bearer tok' }), q())).toBe(true);
    expect(a.verify(req({ authorization: 'Bearer to' }), q())).toBe(false);
    expect(a.verify(req({ authorization: 'Bearer tokk' }), q())).toBe(false);
    expect(a.verify(req({ authorization: 'Basic tok' }), q())).toBe(false);
    expect(a.verify(req({}), q('token=tok'))).toBe(true);
    expect(a.queryParam).toBe('token');
  });

  it('bearer with an empty query token does not match', () => {
    const a = compileAuth([], 'auth', { bearer: ['tok'], queryParam: 'key' })!;
    expect(a.verify(req({}), q('key='))).toBe(false);
    expect(a.verify(req({}), q('token=tok'))).toBe(false);
    expect(a.verify(req({}), q('key=tok'))).toBe(true);
  });

  it('basic: a password with a colon; empty credentials', () => {
    const a = compileAuth([], 'auth', { basic: { username: 'u', password: 'p:w' } })!;
    const b = (s: string): IncomingMessage =>
      req({ authorization: `Basic ${Buffer.from(s).toString('base64')}` });
    expect(a.verify(b('u:p:w'), q())).toBe(true);
    expect(a.verify(b('u:p'), q())).toBe(false);
    expect(a.verify(b('u'), q())).toBe(false);
    expect(a.verify(req({}), q())).toBe(false);
  });
});
