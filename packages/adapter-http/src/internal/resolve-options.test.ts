import { ConfigError, ErrorCode } from '@logpath/core';
import { describe, it, expect } from 'vitest';
import { HTTP_DESTINATION_DEFAULTS } from '../http-destination-options.js';
import type { HttpSourceOptions } from '../http-source-options.js';
import { HTTP_SOURCE_DEFAULTS } from '../http-source-options.js';
import { resolveDestinationOptions } from './resolve-destination-options.js';
import { resolveSourceOptions } from './resolve-source-options.js';

function issues(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCode.INVALID_OPTION);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveSourceOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveSourceOptions({})).toEqual({ ...HTTP_SOURCE_DEFAULTS });
    expect(resolveSourceOptions({ headers: ['X-Tenant'] }).headers).toEqual(['x-tenant']);
  });

  it('names every invalid option, the expectation and the value', () => {
    const list = issues(() =>
      resolveSourceOptions({
        port: 70000,
        path: 'ingest',
        format: 'xml',
        methods: ['GET'],
        busyStatus: 500,
        maxBodyBytes: 0,
        typo: true,
      } as unknown as HttpSourceOptions),
    );
    expect(list).toEqual(
      expect.arrayContaining([
        'port must be an integer from 0 to 65535, got 70000',
        'path must be a string starting with "/", got "ingest"',
        expect.stringContaining('format must be one of "auto"') as unknown,
        expect.stringContaining('methods must hold upper-case methods') as unknown,
        'busyStatus must be one of 429, 503, got 500',
        'maxBodyBytes must be an integer ≥ 1, got 0',
        expect.stringContaining('unknown option "typo"') as unknown,
      ]),
    );
  });

  it('never echoes secrets', () => {
    const list = issues(() => resolveSourceOptions({ auth: { bearer: ['s3cret', ''] } }));
    expect(list.join(' ')).not.toContain('s3cret');
    expect(list[0]).toContain('auth.bearer');
  });

  it('checks auth, tls, cors and timeout shapes', () => {
    expect(
      issues(() =>
        resolveSourceOptions({ auth: { token: 'x' } } as unknown as HttpSourceOptions),
      )[0],
    ).toMatch(/^auth must be/);
    expect(
      issues(() => resolveSourceOptions({ tls: { key: 'k' } } as unknown as HttpSourceOptions))[0],
    ).toMatch(/^tls must be/);
    expect(
      issues(() => resolveSourceOptions({ cors: { origin: '*', credentials: true } }))[0],
    ).toMatch(/credentials/);
    expect(
      issues(() => resolveSourceOptions({ headersTimeout: 5000, requestTimeout: 1000 }))[0],
    ).toMatch(/headersTimeout/);
  });
});

describe('resolveDestinationOptions', () => {
  it('requires an http(s) url and fills in the defaults', () => {
    expect(resolveDestinationOptions({ url: 'http://x/y' })).toEqual({
      ...HTTP_DESTINATION_DEFAULTS,
      url: 'http://x/y',
    });
    expect(issues(() => resolveDestinationOptions({ url: 'ftp://x' }))[0]).toMatch(
      /^url must start with http/,
    );
    expect(issues(() => resolveDestinationOptions(undefined as never))[0]).toMatch(
      /at least \{ url \}/,
    );
  });

  it('names invalid options', () => {
    const list = issues(() =>
      resolveDestinationOptions({
        url: 'http://x',
        method: 'GET',
        format: 'xml',
        timeout: 0,
        headers: { 'bad name': 'v' },
      } as never),
    );
    expect(list).toEqual(
      expect.arrayContaining([
        'method must be one of "POST", "PUT", "PATCH", got "GET"',
        expect.stringContaining('format must be "ndjson", "json-array" or { template') as unknown,
        'timeout must be a number of milliseconds from 1 to 2147483647, got 0',
        expect.stringContaining('headers must map header names') as unknown,
      ]),
    );
  });
});
