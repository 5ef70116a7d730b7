import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, ErrorCode, LogMessage, LogSource } from '@logpath/core';

/** Options of {@link DemoSource}. */
export interface DemoSourceOptions {
  /** Pause between two lines, in ms. Default 200. */
  intervalMs?: number;
  /** HOST of the generated lines. Default `web-01`. */
  host?: string;
}

/** Defaults of {@link DemoSourceOptions}. */
export const DEFAULT_DEMO_SOURCE_OPTIONS: Readonly<Required<DemoSourceOptions>> = Object.freeze({
  intervalMs: 200,
  host: 'web-01',
});

const USERS = ['alice', 'bob', 'carol', 'deploy'];
const PATHS = ['/', '/api/orders', '/api/orders/42', '/login', '/static/app.js', '/healthz'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length]!;
}

/** An RFC 3164 timestamp: `Nov  5 09:03:07`. */
function bsdStamp(d: Date): string {
  const time = d.toTimeString().slice(0, 8);
  return `${pick(MONTHS, d.getMonth())} ${String(d.getDate()).padStart(2, ' ')} ${time}`;
}

/**
 * Emits one realistic syslog line every `intervalMs` (sshd, nginx, cron,
 * kernel; RFC 3164 and RFC 5424 mixed), parsed with `LogMessage.parse`.
 * Stops within one interval of a stop request: the sleep listens to `this.signal`.
 */
export class DemoSource extends LogSource<DemoSourceOptions> {
  #o: Required<DemoSourceOptions> = { ...DEFAULT_DEMO_SOURCE_OPTIONS };
  #seq = 0;

  /** @throws ConfigError (ERR_INVALID_OPTION) when `intervalMs` or `host` is invalid. */
  override init(options: DemoSourceOptions): void {
    const o = { ...DEFAULT_DEMO_SOURCE_OPTIONS, ...options };
    if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1) {
      throw new ConfigError(`intervalMs must be an integer ≥ 1 (ms), got ${String(o.intervalMs)}`, {
        code: ErrorCode.INVALID_OPTION,
      });
    }
    if (typeof o.host !== 'string' || !/^[\w.-]+$/.test(o.host)) {
      throw new ConfigError(`host must be a hostname, got ${JSON.stringify(o.host)}`, {
        code: ErrorCode.INVALID_OPTION,
      });
    }
    this.#o = o;
  }

  override async run(): Promise<void> {
    this.setTransportName('demo');
    while (!this.signal.aborted) {
      if (!this.postMessage(LogMessage.parse(this.#nextLine(new Date()))))
        await this.waitForWindow();
      // Rejects at once when the pipeline stops: no waiting out the interval.
      await sleep(this.#o.intervalMs, undefined, { signal: this.signal }).catch(() => {});
    }
  }

  #nextLine(now: Date): string {
    const n = this.#seq++;
    const host = this.#o.host;
    const pid = 1000 + ((n * 37) % 9000);
    const user = pick(USERS, n);
    const ip = `10.0.${n % 4}.${(n * 13) % 250}`;
    switch (n % 5) {
      case 0:
        return `<38>${bsdStamp(now)} ${host} sshd[${pid}]: Accepted publickey for ${user} from ${ip} port ${40000 + (n % 20000)} ssh2`;
      case 1:
        return `<86>${bsdStamp(now)} ${host} sshd[${pid}]: Failed password for invalid user admin from ${ip} port ${50000 + (n % 10000)} ssh2`;
      case 2: {
        const status = n % 7 === 0 ? 500 : 200;
        return (
          `<190>1 ${now.toISOString()} ${host} nginx ${pid} ACCESS [http@32473 method="GET" status="${status}"] ` +
          `${ip} "GET ${pick(PATHS, n)} HTTP/1.1" ${status} ${512 + ((n * 97) % 4096)}`
        );
      }
      case 3:
        return `<78>${bsdStamp(now)} ${host} CRON[${pid}]: (${user}) CMD (/usr/local/bin/backup --incremental)`;
      default:
        return `<4>${bsdStamp(now)} ${host} kernel: [${process.uptime().toFixed(6)}] eth0: link up, 1000 Mbps, full duplex`;
    }
  }
}
