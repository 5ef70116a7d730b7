/**
 * Kafka benchmarks against a mock cluster this run starts itself (3 brokers,
 * librdkafka's mock, see test-support/). One JSON line per measured scenario:
 * - consume-bare: a bare kafkajs `eachBatch` consumer that resolves every
 *   offset and commits after each batch, reading COUNT pre-produced ~200-byte records;
 * - consume-source: KafkaSource (commit: 'delivered') → NullDestination, same
 *   records; its line carries its ratio to consume-bare;
 * - produce-bare: `producer.send()` of batches of 1000 records;
 * - produce-destination: a source posting the same records → KafkaDestination
 *   (batchLines 1000); its line carries its ratio to produce-bare.
 * Each side runs three times, alternating; a line gives the median run's
 * figures, every run's throughput (`runs`), and the ratio of the medians.
 * Lines also give the CPU time per record of this process (the mock runs in
 * its own): on a shared machine it varies less than the wall-clock
 * throughput. Consumption is measured from the first record to the last, so
 * group joins are left out.
 * Usage: tsx packages/adapter-kafka/bench/kafka-bench.ts [consume|produce|all] [count]
 */
import { LogMessage, LogSource, NullDestination, Pipeline, defineConfig } from '@logpath/core';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { KafkaDestination, KafkaSource } from '../src/index.js';
import { MockClusterControl, MockKafkaCluster } from '../test-support/mock-cluster.js';

/** The mock keeps about 5 MB per partition (~20k of these records): 1M records need 50+ partitions. */
const PARTITIONS = 64;
const BODY = `GET /api/v1/items?id=12345 HTTP/1.1 200 1532 "-" "Mozilla/5.0 (X11; Linux x86_64)" ${'x'.repeat(110)}`;
/** Runs per side; the median counts (the machine may be shared). */
const ROUNDS = 3;
const MOCK_CONSUMER = { sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 };

interface Line {
  scenario: string;
  messages: number;
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  /** CPU time of this process (the mock runs in its own) per record, in µs. */
  cpuUsPerMessage: number;
  /** Throughput of every run, in the order they ran. */
  runs: number[];
  ratio?: number;
  goal?: number;
}

/** One measured run: wall-clock and CPU seconds between start() and stop(). */
class Run {
  #t0 = 0;
  #cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
  seconds = Infinity;
  cpuSeconds = Infinity;

  start(): void {
    this.#t0 = performance.now();
    this.#cpu0 = process.cpuUsage();
  }

  stop(): this {
    const cpu = process.cpuUsage(this.#cpu0);
    this.seconds = (performance.now() - this.#t0) / 1000;
    this.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return this;
  }

  /** The run of median duration (of an odd number of runs). */
  static median(runs: readonly Run[]): Run {
    const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
    return sorted[(sorted.length - 1) >> 1]!;
  }
}

function line(
  scenario: string,
  messages: number,
  runs: readonly Run[],
  extra: Partial<Line> = {},
): Line {
  const run = Run.median(runs);
  const l: Line = {
    scenario,
    messages,
    seconds: Number(run.seconds.toFixed(3)),
    perSecond: Math.round(messages / run.seconds),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    cpuUsPerMessage: Number(((run.cpuSeconds * 1e6) / messages).toFixed(2)),
    runs: runs.map((r) => Math.round(messages / r.seconds)),
    ...extra,
  };
  console.log(JSON.stringify(l));
  return l;
}

function value(i: number): string {
  return `${String(i).padStart(8, '0')} ${BODY}`;
}

let groups = 0;

async function consumeBare(kafka: Kafka, topic: string, count: number): Promise<Run> {
  const consumer = kafka.consumer({ groupId: `bare-${groups++}`, ...MOCK_CONSUMER });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  const run = new Run();
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    // kafkajs hands these out as free functions, made to be destructured.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      if (seen === 0) run.start();
      for (const m of batch.messages) {
        if (m.value !== null) seen++;
        resolveOffset(m.offset);
      }
      await commitOffsetsIfNecessary();
      if (seen >= count) {
        run.stop();
        done();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  return run;
}

async function consumeSource(brokers: string[], topic: string, count: number): Promise<Run> {
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        kafka: {
          class: KafkaSource,
          logIwSize: 10_000,
          options: {
            brokers,
            groupId: `source-${groups++}`,
            topics: [topic],
            fromBeginning: true,
            kafkaLogLevel: 'nothing',
            ...MOCK_CONSUMER,
          },
        },
      },
      destinations: { out: { class: NullDestination, batchLines: 1000, logFifoSize: 100_000 } },
      logPaths: [{ sources: ['kafka'], destinations: ['out'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const out = pipeline.component('out') as NullDestination;
  while (out.count === 0) await new Promise((r) => setTimeout(r, 1));
  const run = new Run();
  run.start();
  while (out.count < count) await new Promise((r) => setTimeout(r, 2));
  run.stop();
  await pipeline.stop();
  return run;
}

/**
 * `producer.send()` of batches of 1000. With `fill`, each batch goes to one
 * partition: the mock serves one stored batch per partition and fetch, so the
 * records to consume are stored in large batches, as a busy producer would.
 */
async function produceBare(kafka: Kafka, topic: string, count: number, fill = false): Promise<Run> {
  // Timed from before connecting, as the destination is timed from its pipeline's start.
  const run = new Run();
  run.start();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < count; i += 1000) {
    const messages: Message[] = [];
    const partition = fill ? (i / 1000) % PARTITIONS : undefined;
    for (let j = i; j < Math.min(count, i + 1000); j++)
      messages.push({ value: value(j), partition });
    await producer.send({ topic, messages });
  }
  run.stop();
  await producer.disconnect();
  return run;
}

/** Posts `count` messages as fast as the window allows. */
class CountingSource extends LogSource<{ count: number }> {
  #count = 0;
  override init(o: { count: number }): void {
    this.#count = o.count;
  }
  override async run(): Promise<void> {
    for (let i = 0; i < this.#count && !this.signal.aborted; i++) {
      if (!this.postMessage(new LogMessage(value(i)))) await this.waitForWindow();
    }
    await new Promise<void>((r) =>
      this.signal.addEventListener('abort', () => r(), { once: true }),
    );
  }
}

async function produceDestination(brokers: string[], topic: string, count: number): Promise<Run> {
  const pipeline = new Pipeline(
    defineConfig({
      sources: { gen: { class: CountingSource, options: { count }, logIwSize: 20_000 } },
      destinations: {
        kafka: {
          class: KafkaDestination,
          batchLines: 1000,
          logFifoSize: 100_000,
          options: { brokers, topic, value: '${MESSAGE}', kafkaLogLevel: 'nothing' },
        },
      },
      logPaths: [{ sources: ['gen'], destinations: ['kafka'] }],
      log: { stderr: false },
    }),
  );
  const run = new Run();
  run.start();
  await pipeline.start();
  for (;;) {
    const s = pipeline.stats().find((x) => x.name === 'kafka')!;
    if (s.delivered >= count) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  run.stop();
  await pipeline.stop();
  return run;
}

/** Prints the bare line, then logpath's with the ratio of the median throughputs. */
function compare(
  what: 'consume' | 'produce',
  n: number,
  bare: readonly Run[],
  ours: readonly Run[],
): void {
  const b = line(`${what}-bare`, n, bare);
  line(what === 'consume' ? 'consume-source' : 'produce-destination', n, ours, {
    ratio: Number((n / Run.median(ours).seconds / b.perSecond).toFixed(3)),
    goal: 0.9,
  });
}

/** One run's figures on stderr, while the bench goes on (stdout carries the JSON lines). */
function progress(scenario: string, round: number, n: number, run: Run): Run {
  const perSecond = Math.round(n / run.seconds).toLocaleString('en');
  const cpu = ((run.cpuSeconds * 1e6) / n).toFixed(2);
  console.error(`${scenario} run ${round + 1}: ${perSecond} msgs/s, ${cpu} µs CPU per record`);
  return run;
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'all';
  const count = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const cluster = await MockKafkaCluster.start(3);
  const control = await MockClusterControl.connect(cluster.controlPort);
  const kafka = new Kafka({
    brokers: cluster.brokers,
    clientId: 'bench',
    logLevel: logLevel.NOTHING,
  });
  try {
    if (mode === 'consume' || mode === 'all') {
      const n = count ?? 1_000_000;
      await control.createTopic('bench-consume', PARTITIONS, 1);
      await produceBare(kafka, 'bench-consume', n, true);
      const bare: Run[] = [];
      const source: Run[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        bare.push(progress('consume-bare', i, n, await consumeBare(kafka, 'bench-consume', n)));
        source.push(
          progress(
            'consume-source',
            i,
            n,
            await consumeSource(cluster.brokers, 'bench-consume', n),
          ),
        );
      }
      compare('consume', n, bare, source);
    }
    if (mode === 'produce' || mode === 'all') {
      const n = count ?? 500_000;
      const bare: Run[] = [];
      const dest: Run[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        // A fresh topic per run, so that the mock never drops old records.
        await control.createTopic(`bench-produce-bare-${i}`, PARTITIONS, 1);
        await control.createTopic(`bench-produce-dest-${i}`, PARTITIONS, 1);
        const b = await produceBare(kafka, `bench-produce-bare-${i}`, n);
        bare.push(progress('produce-bare', i, n, b));
        const d = await produceDestination(cluster.brokers, `bench-produce-dest-${i}`, n);
        dest.push(progress('produce-destination', i, n, d));
      }
      compare('produce', n, bare, dest);
    }
  } finally {
    control.close();
    await cluster.stop();
  }
}

await main();
