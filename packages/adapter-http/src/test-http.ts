/**
 * Test helpers (not part of the build): a small HTTP client on node:http(s)
 * that returns status, headers and body, and a self-signed certificate made
 * with the openssl CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON. */
  json: Record<string, unknown>;
}

export interface TestRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** CA to trust (HTTPS with a self-signed certificate). */
  ca?: string;
  /** Client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  agent?: Agent;
}

/** Sends one request and reads the whole answer. */
export function send(url: string, req: TestRequest = {}): Promise<TestResponse> {
  const u = new URL(url);
  const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = fn(
      u,
      {
        method: req.method ?? (req.body === undefined ? 'GET' : 'POST'),
        headers: req.headers,
        ca: req.ca,
        cert: req.cert,
        key: req.key,
        agent: req.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: callers look at text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Posts `body` with a Content-Type. */
export function post(
  url: string,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return send(url, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
}

export interface SelfSigned {
  key: string;
  cert: string;
  /** Removes the temp directory. */
  cleanup(): Promise<void>;
}

/** A key and a self-signed certificate for `localhost`/127.0.0.1, made with the openssl CLI. */
export async function selfSigned(cn = 'localhost'): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), 'logpath-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
  return { key, cert, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
