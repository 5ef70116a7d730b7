import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { HttpSourceAuth } from '../http-source-options.js';

/** A resolved auth mode: the check and what a 401 answer says. */
export interface Authenticator {
  /** True when the request may post. */
  check(req: Request): boolean | Promise<boolean>;
  /** Value of the `WWW-Authenticate` header of a 401. */
  readonly challenge: string;
  /** What was missing or wrong, for the 401 body. */
  readonly expected: string;
}

const REALM = 'realm="logpath"';

/**
 * Comparing SHA-256 digests with timingSafeEqual makes every comparison take
 * the same time whatever the secret's length or the presented value.
 */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant time: every candidate is compared, with no early exit. */
function matchesAny(presented: string | undefined, digests: readonly Buffer[]): boolean {
  const d = digest(presented ?? '');
  let hit = 0;
  for (const candidate of digests) hit |= timingSafeEqual(d, candidate) ? 1 : 0;
  return presented !== undefined && hit === 1;
}

/** The credentials after `<scheme> ` in Authorization, or undefined. */
function credentials(req: Request, scheme: string): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined || h.length <= scheme.length + 1) return undefined;
  if (h.charCodeAt(scheme.length) !== 32 || h.slice(0, scheme.length).toLowerCase() !== scheme)
    return undefined;
  return h.slice(scheme.length + 1).trim();
}

/** Builds the check for an `auth` option (already validated). */
export function createAuthenticator(auth: HttpSourceAuth): Authenticator {
  if (typeof auth === 'function') {
    return {
      check: auth,
      challenge: `Custom ${REALM}`,
      expected: 'credentials accepted by the auth function',
    };
  }
  if ('bearer' in auth) {
    const tokens = auth.bearer.map(digest);
    return {
      check: (req) => matchesAny(credentials(req, 'bearer'), tokens),
      challenge: `Bearer ${REALM}`,
      expected: 'a valid bearer token (Authorization: Bearer <token>)',
    };
  }
  if ('basic' in auth) {
    const pair = [digest(`${auth.basic.username}:${auth.basic.password}`)];
    return {
      check: (req) => {
        const b64 = credentials(req, 'basic');
        return matchesAny(
          b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8'),
          pair,
        );
      },
      challenge: `Basic ${REALM}, charset="UTF-8"`,
      expected: 'valid Basic credentials',
    };
  }
  const name = auth.header.toLowerCase();
  const values = auth.values.map(digest);
  return {
    check: (req) => {
      const v = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
      return matchesAny(Array.isArray(v) ? v.join(', ') : v, values);
    },
    challenge: `ApiKey ${REALM}, header="${name}"`,
    expected: `a valid ${name} header`,
  };
}
