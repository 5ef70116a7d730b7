/**
 * The processes of the end-to-end chain tests (HTTP → Kafka → WebSocket →
 * file): the three `logpath run` configs, spawning a hop, reading the port it
 * listens on from its log (the HttpSource's and WebSocketSource's
 * "listening on scheme://host:port/path" info line), and sampling peak RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'packages/core/src/cli/main.ts');
const CORE = JSON.stringify(join(ROOT, 'packages/core/src/index.ts'));
const HTTP = JSON.stringify(join(ROOT, 'packages/adapter-http/src/index.ts'));
const KAFKA = JSON.stringify(join(ROOT, 'packages/adapter-kafka/src/index.ts'));
const WS = JSON.stringify(join(ROOT, 'packages/adapter-ws/src/index.ts'));

// .mts: an ES module wherever the temp dir is (as CommonJS it would load a second copy of core).
// Everything a hop must know (brokers, ports, paths) comes from its environment.
const INGEST = `
import { defineConfig } from ${CORE};
import { HttpSource } from ${HTTP};
import { KafkaDestination } from ${KAFKA};
const env = process.env;
export default defineConfig({
  sources: {
    http: {
      class: HttpSource,
      options: { host: '127.0.0.1', port: 0, path: '/ingest', format: 'ndjson', respond: 'delivered' },
      // A window smaller than two requests: overlapping requests meet 429 + Retry-After.
      logIwSize: 150,
    },
  },
  destinations: {
    kafka: {
      class: KafkaDestination,
      options: { brokers: env.CHAIN_BROKERS!, topic: env.CHAIN_TOPIC!, kafkaLogLevel: 'error' },
      batchLines: 500, batchTimeout: 20, timeReopen: 200,
    },
  },
  logPaths: [{ sources: ['http'], destinations: ['kafka'] }],
  stateDir: env.CHAIN_STATE!,
});
`;

const RELAY = `
import { defineConfig } from ${CORE};
import { KafkaSource } from ${KAFKA};
import { WebSocketDestination } from ${WS};
const env = process.env;
export default defineConfig({
  sources: {
    kafka: {
      class: KafkaSource,
      options: {
        brokers: env.CHAIN_BROKERS!, groupId: env.CHAIN_GROUP!, topics: [env.CHAIN_TOPIC!], fromBeginning: true,
        format: 'json', messageField: 'MESSAGE', commitInterval: 500, maxInFlight: 500,
        sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100, kafkaLogLevel: 'error',
      },
      // A graceful stop duplicates nothing only if what is in flight is delivered within
      // drainTimeout (5 s): a window of 1000 drains in well under a second.
      logIwSize: 1000,
    },
  },
  destinations: {
    ws: {
      class: WebSocketDestination,
      options: {
        url: env.CHAIN_SINK_URL!, frame: 'batch', ack: true, ackTimeout: 10000,
        reconnectDelay: 100, reconnectMaxDelay: 500,
      },
      batchLines: 500, batchTimeout: 20, timeReopen: 100,
    },
  },
  logPaths: [{ sources: ['kafka'], destinations: ['ws'] }],
  stateDir: env.CHAIN_STATE!,
});
`;

const SINK = `
import { defineConfig, FileDestination } from ${CORE};
import { WebSocketSource } from ${WS};
const env = process.env;
const flushMs = Number(env.CHAIN_SINK_FLUSH_MS ?? 0);
/** A slow disk: each flush waits first, so that the chain always holds messages in flight. */
class SlowFile extends FileDestination {
  override async flush() {
    await new Promise((r) => setTimeout(r, flushMs));
    return super.flush();
  }
}
export default defineConfig({
  sources: {
    ws: {
      class: WebSocketSource,
      options: { host: '127.0.0.1', port: Number(env.CHAIN_SINK_PORT), format: 'ndjson', messageField: 'MESSAGE', ack: 'batch' },
      // Likewise within closeTimeout (5 s), for the acks this hop owes at a graceful stop.
      logIwSize: 1000,
    },
  },
  destinations: {
    file: { class: SlowFile, options: { path: env.CHAIN_OUT!, template: '\${MESSAGE}' }, batchLines: 100, timeReopen: 200 },
  },
  logPaths: [{ sources: ['ws'], destinations: ['file'] }],
  stateDir: env.CHAIN_STATE!,
});
`;

/** The three hops of the chain. */
export type HopName = 'ingest' | 'relay' | 'sink';

/** Writes the three config files into `dir`; returns their paths by hop. */
export async function writeChainConfigs(dir: string): Promise<Record<HopName, string>> {
  const files = {
    ingest: join(dir, 'ingest.mts'),
    relay: join(dir, 'relay.mts'),
    sink: join(dir, 'sink.mts'),
  };
  await Promise.all([
    writeFile(files.ingest, INGEST),
    writeFile(files.relay, RELAY),
    writeFile(files.sink, SINK),
  ]);
  return files;
}

/** One `logpath run` process. */
export interface Hop {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything the process wrote to stderr so far. */
  log(): string;
  /** Highest VmHWM seen for this process, in KiB (sampled; 0 before the first sample). */
  peakKiB: number;
}

/** Every hop spawned and not yet exited: the test's afterEach kills them. */
export const running = new Set<Hop>();

/** Starts `logpath run <config>` (through tsx, against the sources) with `env` added. */
export function spawnHop(name: string, config: string, env: Record<string, string>): Hop {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@logpath/source', CLI, 'run', config],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const chunks: string[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  const hop: Hop = {
    name,
    proc,
    exited: new Promise((resolve) =>
      proc.once('exit', (code) => {
        running.delete(hop);
        resolve(code);
      }),
    ),
    log: () => chunks.join(''),
    peakKiB: 0,
  };
  running.add(hop);
  return hop;
}

/** The port in the source's "listening on scheme://host:port/…" line (HttpSource, WebSocketSource), once logged. */
export function listeningPort(hop: Hop): number | undefined {
  const m = /listening on \w+:\/\/[^\s/]+:(\d+)/.exec(hop.log());
  return m ? Number(m[1]) : undefined;
}

/** The WARN and ERROR lines the hop logged so far. */
export function warnings(hop: Hop): string {
  return hop
    .log()
    .split('\n')
    .filter((l) => / (WARN|ERROR) /.test(l))
    .join('\n');
}

/** True once the hop's KafkaSource joined its group with at least one partition. */
export function assigned(hop: Hop): boolean {
  return /joined group .*: \S+\[\d/.test(hop.log());
}

/** Reads VmHWM (peak resident set) of every running hop into its `peakKiB`. */
export async function sampleRss(hops: Iterable<Hop>): Promise<void> {
  await Promise.all(
    [...hops].map(async (h) => {
      if (h.proc.pid === undefined) return;
      const status = await readFile(`/proc/${h.proc.pid}/status`, 'utf8').catch(() => '');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) h.peakKiB = Math.max(h.peakKiB, Number(m[1]));
    }),
  );
}
