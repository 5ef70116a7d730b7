/**
 * Line injection: query values, header values and JSON string values that
 * hold LF, CR, CRLF, U+2028, U+2029, U+0085 and forged JSON lines, posted to
 * an HttpSource and written by FileDestination (NDJSON and a template) and
 * HttpDestination (NDJSON and a template). Each output must hold exactly one
 * line per message (lines are split on LF, as NDJSON defines them), no raw
 * CR, and each NDJSON line must read back to exactly the values sent.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig, FileDestination, Pipeline } from '@logpath/core';
import { HttpDestination, HttpSource } from '@logpath/adapter-http';
import { fuzzParams } from './fuzz-support.js';
import { httpSend, parseRawResponse, rawExchange } from './hostile-net-support.js';

// prettier-ignore
const BREAKS = ['\n', '\r', '\r\n', '\u2028', '\u2029', '\u0085', '\n{"forged":true}\n', '\r\n{"id":"0"}', '\\n', '"', '\\', 'a', ' ', '}', '{'];
const breaky = fc.string({ unit: fc.constantFrom(...BREAKS), maxLength: 8 });
/** Header values: Node sends and reads them as latin1, and refuses CR, LF and NUL in them. */
const headerValue = fc
  .string({
    unit: fc.constantFrom('\u0085', '\u00e2', '\u0080', '\u00a8', '{', '"', 'a', ' ', '\t', '\\'),
    maxLength: 8,
  })
  .map((s) => s.trim());

interface Sent {
  id: string;
  q: string;
  note: string;
  text: string;
}
const N = 60;
const TEMPLATE = '${id}|${HTTP.QUERY.q}|${HTTP.HEADERS.x-note}|${text}';

let dir: string;
let receiver: Server;
const bodies: { path: string; body: string }[] = [];
let sent: Sent[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logpath-lines-'));
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const rport = (receiver.address() as AddressInfo).port;
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        web: {
          class: HttpSource,
          options: { host: '127.0.0.1', port: 0, format: 'json', headers: ['x-note'] },
        },
      },
      destinations: {
        fileJson: { class: FileDestination, options: { path: join(dir, 'out.ndjson') } },
        fileTpl: {
          class: FileDestination,
          options: { path: join(dir, 'out.txt'), template: TEMPLATE },
        },
        httpJson: { class: HttpDestination, options: { url: `http://127.0.0.1:${rport}/ndjson` } },
        httpTpl: {
          class: HttpDestination,
          options: { url: `http://127.0.0.1:${rport}/tpl`, format: { template: TEMPLATE } },
        },
      },
      logPaths: [
        { sources: ['web'], destinations: ['fileJson', 'fileTpl', 'httpJson', 'httpTpl'] },
      ],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  try {
    const port = await (pipeline.component('web') as HttpSource).whenListening();
    const gen = fc.record({ q: breaky, note: headerValue, text: breaky });
    sent = fc
      .sample(gen, { ...fuzzParams(0x11e5, N), numRuns: N })
      .map((s, i) => ({ id: String(i), ...s }));
    for (const s of sent) {
      const a = await httpSend(port, {
        path: `/?q=${encodeURIComponent(s.q)}`,
        headers: {
          'content-type': 'application/json',
          'x-note': Buffer.from(s.note, 'latin1').toString('latin1'),
        },
        body: JSON.stringify({ id: s.id, text: s.text }),
      });
      expect(a.status, a.text).toBe(202);
    }
    // A header value with a bare LF or CR cannot get in: the request is refused whole.
    for (const bad of ['a\nX-Forged: 1', 'a\rb']) {
      const { text } = await rawExchange(
        port,
        `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Note: ${bad}\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{"id":"bad"}\r\n`,
      );
      expect(parseRawResponse(text).status, JSON.stringify(bad)).toBe(400);
    }
  } finally {
    await pipeline.stop();
  }
}, 60_000);

afterAll(async () => {
  receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The lines of an output (LF-separated, the last one terminated). */
function lines(text: string): string[] {
  expect(text.endsWith('\n'), 'the output ends with a newline').toBe(true);
  expect(text.includes('\r'), 'no raw CR in the output').toBe(false);
  return text.slice(0, -1).split('\n');
}

function checkNdjson(text: string, where: string): void {
  const got = lines(text);
  expect(got.length, `${where}: one line per message`).toBe(N);
  const byId = new Map<string, Record<string, unknown>>();
  for (const line of got) {
    const o = JSON.parse(line) as Record<string, unknown>;
    byId.set(String(o.id), o);
  }
  for (const s of sent) {
    const o = byId.get(s.id);
    expect(o, `${where}: message ${s.id}`).toBeDefined();
    expect(
      { text: o!.text, q: o!['HTTP.QUERY.q'] ?? '', note: o!['HTTP.HEADERS.x-note'] ?? '' },
      `${where}: message ${s.id}`,
    ).toEqual({
      text: s.text,
      q: s.q,
      note: s.note,
    });
  }
}

function checkTemplate(text: string, where: string): void {
  const got = lines(text);
  expect(got.length, `${where}: one line per message`).toBe(N);
  const ids = got.map((l) => l.slice(0, l.indexOf('|')));
  expect(
    ids.sort((a, b) => Number(a) - Number(b)),
    `${where}: every line starts with its own id`,
  ).toEqual(sent.map((s) => s.id));
}

const received = (path: string): string =>
  bodies
    .filter((b) => b.path === path)
    .map((b) => (b.body.endsWith('\n') ? b.body : `${b.body}\n`))
    .join('');

describe('values with line breaks cannot add lines', () => {
  it('FileDestination NDJSON: one line per message, values read back exactly', async () => {
    checkNdjson(await readFile(join(dir, 'out.ndjson'), 'utf8'), 'file ndjson');
  });

  it('FileDestination template: one line per message, CR and LF escaped', async () => {
    checkTemplate(await readFile(join(dir, 'out.txt'), 'utf8'), 'file template');
  });

  it('HttpDestination NDJSON: one line per message, values read back exactly', () => {
    checkNdjson(received('/ndjson'), 'http ndjson');
  });

  it('HttpDestination template: one line per message, CR and LF escaped', () => {
    checkTemplate(received('/tpl'), 'http template');
  });
});
