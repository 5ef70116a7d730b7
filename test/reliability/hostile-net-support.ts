/**
 * Helpers of the hostile-input and security tests of the network adapters:
 * an HTTP client that reports what a hostile request got (status, JSON body,
 * or the connection closing without an answer) instead of throwing, body
 * encoders, an RSS sampler and the tally written to the results table.
 */
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';

/** What one request got. `status` is 0 when the connection closed without an answer. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
  /** The socket error that ended the exchange without an answer, if any. */
  error?: string;
}

/** Options of {@link httpSend}. */
export interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
  agent?: Agent | false;
  /** Fail (reject) when no answer came by then: a hang. Default 15000. */
  timeoutMs?: number;
}

/**
 * Sends one request to 127.0.0.1:`port`. Never rejects on a socket error: a
 * server may close a connection after refusing a large body, so an error
 * after the answer is ignored and one before it gives `status: 0`. Rejects
 * only when nothing happened within `timeoutMs`.
 */
export function httpSend(port: number, o: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (a: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const headers: Record<string, string | string[]> = { ...o.headers };
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    if (body !== undefined && !o.chunked) headers['content-length'] = String(body.length);
    const req = request({
      host: '127.0.0.1',
      port,
      method: o.method ?? 'POST',
      path: o.path ?? '/',
      headers,
      agent: o.agent ?? false,
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new Error(`no answer within ${o.timeoutMs ?? 15_000} ms: the server hangs`));
    }, o.timeoutMs ?? 15_000);
    req.on('error', (err) =>
      finish({ status: 0, headers: {}, text: '', json: undefined, error: err.message }),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => {});
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          const v: unknown = JSON.parse(text);
          if (typeof v === 'object' && v !== null && !Array.isArray(v))
            json = v as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        finish({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    if (body !== undefined && o.chunked) {
      // Several chunks, so the server sees a real chunked body.
      const step = Math.max(1, Math.ceil(body.length / 4));
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** The Content-Encodings a source decodes. */
export const ENCODINGS = ['identity', 'gzip', 'deflate', 'deflate-raw', 'br'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Encodes `body` as `encoding` says; `deflate-raw` is sent as `deflate` without the zlib header. */
export function encode(body: Buffer, encoding: Encoding): { body: Buffer; header?: string } {
  switch (encoding) {
    case 'identity':
      return { body };
    case 'gzip':
      return { body: gzipSync(body), header: 'gzip' };
    case 'deflate':
      return { body: deflateSync(body), header: 'deflate' };
    case 'deflate-raw':
      return { body: deflateRawSync(body), header: 'deflate' };
    case 'br':
      return { body: brotliCompressSync(body), header: 'br' };
  }
}

/** Samples the process RSS every `everyMs` until stopped; `peak` is the highest, in bytes. */
export class RssSampler {
  readonly baseline = process.memoryUsage().rss;
  peak = this.baseline;
  readonly #timer: NodeJS.Timeout;

  constructor(everyMs = 20) {
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }

  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }

  /** The peak in MiB, one decimal. */
  get peakMiB(): number {
    return mib(this.peak);
  }
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / (1 << 20)) * 10) / 10;
}

/**
 * Counts of a well-behaved client's messages: each accepted (acknowledged)
 * sequence number must arrive exactly once.
 */
export class DeliveryCheck {
  readonly accepted = new Set<number>();
  readonly #arrivals = new Map<number, number>();

  arrived(seq: number): void {
    this.#arrivals.set(seq, (this.#arrivals.get(seq) ?? 0) + 1);
  }

  get delivered(): number {
    let n = 0;
    for (const seq of this.accepted) if (this.#arrivals.has(seq)) n++;
    return n;
  }

  get duplicated(): number {
    let n = 0;
    for (const c of this.#arrivals.values()) n += c - 1;
    return n;
  }

  get lost(): number {
    return this.accepted.size - this.delivered;
  }

  /** Arrivals that were never accepted (an unacknowledged send may still arrive: not an error). */
  get unasked(): number {
    let n = 0;
    for (const seq of this.#arrivals.keys()) if (!this.accepted.has(seq)) n++;
    return n;
  }
}

/**
 * Writes `bytes` to a fresh TCP connection to 127.0.0.1:`port` and collects
 * everything the server sends until it closes the connection (or `timeoutMs`,
 * then `closed` is false).
 */
export function rawExchange(
  port: number,
  bytes: Buffer | string,
  timeoutMs = 10_000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(bytes);
  });
}

/** The status and JSON body of a raw HTTP response text; status 0 when there is none. */
export function parseRawResponse(text: string): { status: number; json: unknown } {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  const sep = text.indexOf('\r\n\r\n');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text.slice(sep + 4), 'latin1').toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: m ? Number(m[1]) : 0, json };
}
