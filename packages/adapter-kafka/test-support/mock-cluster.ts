/**
 * Test support: a real Kafka-protocol cluster (librdkafka's mock brokers on
 * loopback TCP ports), compiled from kafka-mock.c on first use and driven
 * over its control socket. Not part of the published package.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./kafka-mock.c', import.meta.url));

/** Compiles the mock broker if needed and returns the binary's path. */
export function kafkaMockBinary(): string {
  const src = readFileSync(SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'logpath-kafka-mock');
  const bin = join(dir, `kafka-mock-${hash}`);
  if (existsSync(bin)) return bin;
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h')) {
    throw new Error(
      'librdkafka-dev is not installed: run `apt-get install -y librdkafka-dev` (npm test does this when run as root)',
    );
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  execFileSync('cc', ['-O2', '-o', tmp, SOURCE, '-lrdkafka'], { stdio: 'inherit' });
  execFileSync('mv', [tmp, bin]);
  return bin;
}

/** A client of a mock cluster's control socket. */
export class MockClusterControl {
  readonly #socket: Socket;
  readonly #lines: AsyncIterator<string>;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#lines = createInterface({ input: socket })[Symbol.asyncIterator]();
  }

  /** Connects to the control port of a running mock cluster. */
  static async connect(port: number): Promise<MockClusterControl> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new MockClusterControl(socket);
  }

  /** Sends one command line; resolves with the reply text after "ok", rejects on "err". */
  command(line: string): Promise<string> {
    const run = async (): Promise<string> => {
      this.#socket.write(line + '\n');
      const next: IteratorResult<string, unknown> = await this.#lines.next();
      if (next.done) throw new Error(`kafka-mock closed the control socket during "${line}"`);
      const value = next.value;
      if (!value.startsWith('ok')) throw new Error(`kafka-mock: "${line}" failed: ${value}`);
      return value.slice(2).trim();
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  createTopic(name: string, partitions: number, replication = 1): Promise<string> {
    return this.command(`topic ${name} ${partitions} ${replication}`);
  }
  brokerDown(id: number): Promise<string> {
    return this.command(`broker_down ${id}`);
  }
  brokerUp(id: number): Promise<string> {
    return this.command(`broker_up ${id}`);
  }
  setLeader(topic: string, partition: number, broker: number): Promise<string> {
    return this.command(`leader ${topic} ${partition} ${broker}`);
  }
  setCoordinator(type: 'group' | 'transaction', key: string, broker: number): Promise<string> {
    return this.command(`coordinator ${type} ${key} ${broker}`);
  }
  /** Makes the next requests of `apiKey` fail with these Kafka error codes (-195: disconnect). */
  pushErrors(apiKey: number, errors: number[]): Promise<string> {
    return this.command(`errors ${apiKey} ${errors.join(' ')}`);
  }
  setRtt(broker: number, ms: number): Promise<string> {
    return this.command(`rtt ${broker} ${ms}`);
  }

  close(): void {
    this.#socket.end();
  }
}

/** A running mock cluster: a child process that dies with its parent. */
export class MockKafkaCluster {
  private constructor(
    private readonly child: ChildProcess,
    /** `host:port` of every broker. */
    readonly brokers: string[],
    /** The control socket's port (for workers: `MockClusterControl.connect(port)`). */
    readonly controlPort: number,
  ) {}

  /** Starts a cluster of `brokers` brokers (default 3). */
  static async start(brokers = 3): Promise<MockKafkaCluster> {
    const child = spawn(kafkaMockBinary(), [String(brokers)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const ready = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) =>
        reject(new Error(`kafka-mock exited with code ${code} before it was ready`)),
      );
    });
    const [, servers, port] = ready.split(' ');
    return new MockKafkaCluster(child, servers!.split(','), Number(port));
  }

  /** Stops the cluster (closing its stdin makes it exit). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    await exited;
  }
}
