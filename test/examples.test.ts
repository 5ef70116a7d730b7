/**
 * Runs every example under examples/ the way its README says (`npm run
 * example -- <name>`, i.e. Node with tsx and the `@logpath/source` condition,
 * from the repository root) in a child process, and checks what it produced.
 * The Kafka example gets the run's shared cluster (or KAFKA_BROKERS).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, sharedCluster, unique } from '../packages/adapter-kafka/src/test-kafka.js';
import { FramingError, SyslogFramer } from '../examples/tcp-syslog/syslog-framing.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE_TIMEOUT = 90_000;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The example's EXAMPLE_OUT. */
  out: string;
}

/** Runs `npm run example -- <name>`'s command with EXAMPLE_OUT set to a fresh directory. */
async function runExample(name: string, env: Record<string, string> = {}): Promise<Run> {
  const out = await mkdtemp(join(tmpdir(), `example-${name}-`));
  dirs.push(out);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@logpath/source', 'examples/run.ts', name],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, EXAMPLE_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr, out };
}

function expectSuccess(run: Run): void {
  // The example's stderr is the message when it fails.
  expect(run.code, `exit code; stderr:\n${run.stderr}`).toBe(0);
}

async function ndjson(run: Run, file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(run.out, file), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

// Concurrent: each example is a child process with its own ports (0) and output directory.
describe.concurrent('examples', () => {
  it('lists every example directory (so a new one cannot go untested)', async () => {
    const dirs = (await readdir(join(ROOT, 'examples'), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual([
      'batching-destination',
      'http-to-file',
      'kafka-to-http',
      'rest-poller',
      'tcp-syslog',
      'ws-acks',
    ]);
  });

  it('refuses an unknown example name with the list of names', async () => {
    const run = await runExample('no-such-example');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('one of: batching-destination, http-to-file');
  });

  it(
    'http-to-file: every request is in its tenant file, with typed fields',
    async () => {
      const run = await runExample('http-to-file');
      expectSuccess(run);
      expect(run.stdout).toContain(
        'POST /ingest/acme (application/x-ndjson) → 200 {"delivered":2}',
      );
      const acme = await ndjson(run, 'acme.ndjson');
      expect(acme.map((m) => m.MESSAGE)).toEqual(['login', 'logout', 'upload']);
      expect(acme[2]).toMatchObject({
        bytes: 1024,
        'HTTP.PARAMS.tenant': 'acme',
        TRANSPORT: 'http',
      });
      const globex = await ndjson(run, 'globex.ndjson');
      expect(globex.map((m) => m.MESSAGE)).toEqual(['a plain line', 'another one']);
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'ws-acks: every message reaches the file across a server restart',
    async () => {
      const run = await runExample('ws-acks');
      expectSuccess(run);
      const ids = new Set((await ndjson(run, 'ws.ndjson')).map((m) => m.id));
      expect(ids.size).toBe(2003);
      for (let id = 1; id <= 2003; id++) expect(ids.has(id)).toBe(true);
      expect(run.stdout).toMatch(
        /client: 2 connections, \d+ frames sent, \d+ resent, 2003 acknowledged/,
      );
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'kafka-to-http: the produced records arrive at the HTTP collector as NDJSON',
    async () => {
      const cluster = sharedCluster();
      const topic = unique('example-kafka-to-http');
      await createTopic(cluster, topic, 3);
      const run = await runExample('kafka-to-http', {
        KAFKA_BROKERS: cluster.brokers.join(','),
        KAFKA_TOPIC: topic,
      });
      expectSuccess(run);
      const records = await ndjson(run, 'received.ndjson');
      expect(records).toHaveLength(5);
      expect(records.map((r) => r.MESSAGE).sort()).toEqual(
        [0, 1, 2, 3, 4].map((i) => `order ${i} placed`),
      );
      for (const r of records) {
        expect(r['KAFKA.TOPIC']).toBe(topic);
        expect(typeof r.amount).toBe('number'); // the JSON value's fields keep their types
        expect(r['KAFKA.KEY']).toMatch(/^user-[01]$/);
      }
    },
    EXAMPLE_TIMEOUT,
  );

  it('kafka-to-http: without KAFKA_BROKERS it says what to set and fails', async () => {
    const run = await runExample('kafka-to-http', { KAFKA_BROKERS: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('set KAFKA_BROKERS');
  });

  it(
    'rest-poller: the restarted poller resumes from the saved cursor',
    async () => {
      const run = await runExample('rest-poller');
      expectSuccess(run);
      expect((await ndjson(run, 'events.ndjson')).map((e) => e.seq)).toEqual(
        Array.from({ length: 11 }, (_, i) => i + 1),
      );
      expect(run.stdout).toMatch(/run 2: requests with after = 7,/);
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'tcp-syslog: both framings and both RFCs parsed, a burst paused and nothing lost',
    async () => {
      const run = await runExample('tcp-syslog');
      expectSuccess(run);
      const lines = await ndjson(run, 'syslog.ndjson');
      expect(lines).toHaveLength(20_003);
      expect(lines[0]).toMatchObject({
        HOST: 'web-1',
        PROGRAM: 'shop',
        MSGID: 'ORDER',
        'SDATA.order@32473.id': '17',
        MESSAGE: 'order placed',
        TRANSPORT: 'tcp',
        PRI: 165,
      });
      expect(lines[1]!.MESSAGE).toBe('Error: boom\n    at checkout (shop.js:12)');
      expect(lines[2]).toMatchObject({ HOST: 'db-1', PROGRAM: 'postgres', PID: '88', PRI: 34 });
      const numbers = new Set(lines.slice(3).map((l) => l.MESSAGE));
      expect(numbers.size).toBe(20_000);
      const pauses = Number(/paused (\d+) times/.exec(run.stdout)?.[1]);
      expect(pauses).toBeGreaterThan(0);
    },
    EXAMPLE_TIMEOUT,
  );

  it(
    'batching-destination: every result code, each order once at the API or in the fallback',
    async () => {
      const run = await runExample('batching-destination');
      expectSuccess(run);
      const results = JSON.parse(/results: (\{.*\})/.exec(run.stdout)![1]!) as Record<
        string,
        number
      >;
      for (const name of ['QUEUED', 'SUCCESS', 'DROP', 'ERROR', 'RETRY', 'NOT_CONNECTED']) {
        expect({ name, n: results[name]! > 0 }).toEqual({ name, n: true });
      }
      expect(run.stdout).toContain('API answers, in order: reset, 503, 500, 200, 400, 200');
      expect(run.stdout).toContain('API received orders 1,2,3,4,5,6,7,8,9,10,21,22,23,24,25,26');
      expect((await ndjson(run, 'rejected.ndjson')).map((m) => m.id)).toEqual([
        11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
      ]);
    },
    EXAMPLE_TIMEOUT,
  );
});

describe('examples/tcp-syslog SyslogFramer (RFC 6587)', () => {
  function frames(chunks: string[], max = 100): string[] {
    const got: string[] = [];
    const framer = new SyslogFramer(max, (f) => got.push(f.toString('utf8')));
    for (const c of chunks) framer.push(Buffer.from(c));
    framer.end();
    return got;
  }

  it('splits octet-counted and newline-framed messages, mixed, across chunk boundaries', () => {
    const stream = '5 <1>ab8 <2>x\ny\nz<3>line one\r\n<4>line two\n3 <5>';
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(frames([stream.slice(0, cut), stream.slice(cut)])).toEqual([
        '<1>ab',
        '<2>x\ny\nz',
        '<3>line one',
        '<4>line two',
        '<5>',
      ]);
    }
  });

  it('keeps a last newline-framed message without LF at the end, drops a cut octet-counted one', () => {
    expect(frames(['<1>last'])).toEqual(['<1>last']);
    expect(frames(['10 <1>cut'])).toEqual([]);
  });

  it('refuses a bad length and messages over maxMessageBytes', () => {
    expect(() => frames(['12x <1>a'])).toThrow(FramingError);
    expect(() => frames(['11 <1>too long'], 10)).toThrow(/exceeds maxMessageBytes \(10\)/);
    expect(() => frames(['<1>' + 'a'.repeat(20)], 10)).toThrow(FramingError);
    expect(() => frames(['12345678901 '])).toThrow(/too many digits/);
  });
});
