import type { Request } from 'express';
import { describe, it, expect } from 'vitest';
import { createAuthenticator } from './auth.js';

const req = (headers: Record<string, string | string[]>): Request =>
  ({ headers }) as unknown as Request;
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('createAuthenticator', () => {
  it('bearer: accepts any listed token, scheme case-insensitive', () => {
    const a = createAuthenticator({ bearer: ['t1', 'second-token'] });
    expect(a.check(req({ authorization: 'Bearer t1' }))).toBe(true);
    expect(a.check(req({ authorization: 'bearer second-token' }))).toBe(true);
    expect(a.check(req({ authorization: 'Bearer t2' }))).toBe(false);
    expect(a.check(req({ authorization: 'Bearer t1x' }))).toBe(false);
    expect(a.check(req({ authorization: 'Basic t1' }))).toBe(false);
    expect(a.check(req({ authorization: 'Bearer' }))).toBe(false);
    expect(a.check(req({}))).toBe(false);
    expect(a.challenge).toMatch(/^Bearer /);
  });

  it('basic: username and password must both match', () => {
    const a = createAuthenticator({ basic: { username: 'ann', password: 'p:w' } });
    expect(a.check(req({ authorization: basic('ann', 'p:w') }))).toBe(true);
    expect(a.check(req({ authorization: basic('ann', 'p:x') }))).toBe(false);
    expect(a.check(req({ authorization: basic('bob', 'p:w') }))).toBe(false);
    expect(a.check(req({ authorization: 'Basic !!notbase64' }))).toBe(false);
    expect(a.challenge).toMatch(/^Basic /);
  });

  it('header: the named header must hold one of the values', () => {
    const a = createAuthenticator({ header: 'X-API-Key', values: ['k1', 'k2'] });
    expect(a.check(req({ 'x-api-key': 'k2' }))).toBe(true);
    expect(a.check(req({ 'x-api-key': 'k3' }))).toBe(false);
    expect(a.check(req({ authorization: 'Bearer k1' }))).toBe(false);
    expect(a.challenge).toContain('header="x-api-key"');
  });

  it('function: its answer decides, sync or async', async () => {
    const a = createAuthenticator((r) => Promise.resolve(r.headers['x-ok'] === 'yes'));
    await expect(a.check(req({ 'x-ok': 'yes' }))).resolves.toBe(true);
    await expect(a.check(req({}))).resolves.toBe(false);
  });
});
