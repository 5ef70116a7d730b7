import { hostname } from 'node:os';
import { InstantAckTracker, type AckStatus } from './ack-tracker.js';
import { ConfigError, ErrorCode } from './errors.js';
import { LogMessage } from './log-message.js';
import { LogSource } from './log-source.js';
import type { InternalLogRecord, LogHub, LogLevel } from './logger.js';
import type { DestinationDriver } from './internal/destination-driver.js';
import type { Route } from './internal/source-driver.js';
import { checkInt, checkKnownKeys, checkOneOf, type Issues } from './option-checks.js';

/** Options of {@link InternalSource}. */
export interface InternalSourceOptions {
  /**
   * Minimum level carried. Default `info`. The pipeline's `log.level` filters
   * first: `debug` here needs `log: { level: 'debug' }` too.
   */
  level?: LogLevel;
  /**
   * Records kept while they cannot be posted yet (before the source runs, or
   * while its window is full). Records beyond it are lost, counted in
   * `overflowed` and reported by one message once there is room. Default 1000.
   */
  bufferSize?: number;
}

/** Defaults of {@link InternalSourceOptions}. */
export const DEFAULT_INTERNAL_SOURCE_OPTIONS: Readonly<Required<InternalSourceOptions>> =
  Object.freeze({
    level: 'info',
    bufferSize: 1000,
  });

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const SEVERITY: Readonly<Record<LogLevel, number>> = Object.freeze({
  error: 3,
  warn: 4,
  info: 6,
  debug: 7,
});
const FACILITY_SYSLOG = 5;
const HOST = hostname();
const PID = String(process.pid);

/**
 * The instances that listen to a hub, by persist name. Only the newest one
 * takes records: during a reload the successor starts collecting as soon as
 * it is inited, so no record is carried twice, and a failed reload hands the
 * records back to the running instance.
 */
const listeners = new WeakMap<LogHub, Map<string, InternalSource[]>>();

/**
 * Carries the runtime's own log (errors of plugins with their stack, drops
 * with their reason, suspends, start and stop) into a log path, as
 * AxoSyslog's `internal()` source does. Each record becomes a message with
 * MESSAGE (the text, then the stack on the next lines when there is one),
 * PROGRAM `logpath`, HOST, PID, STAMP, PRI (facility syslog, severity from
 * the level), TRANSPORT `internal`, `LOGPATH.COMPONENT` (the persist name
 * that logged it, or `pipeline`) and `LOGPATH.LEVEL`.
 *
 * It never feeds on itself: the records of the components its own messages
 * reach (the destinations of its log paths, their fallbacks, and itself),
 * logged while one of its messages is in flight or after the last one was not
 * delivered, are not carried (they still reach stderr) and are counted in
 * {@link suppressed}. So a destination that drops or fails on its messages,
 * or a filter of its path that throws, cannot start a loop.
 *
 * @example
 * sources: { internal: { class: InternalSource, options: { level: 'warn' } } },
 * logPaths: [{ sources: ['internal'], destinations: ['file'] }],
 */
export class InternalSource extends LogSource<InternalSourceOptions> {
  #hub: LogHub | undefined;
  #peers: InternalSource[] | undefined;
  #downstream = new Set<string>();
  #rank = LEVELS.indexOf(DEFAULT_INTERNAL_SOURCE_OPTIONS.level);
  #bufferSize = DEFAULT_INTERNAL_SOURCE_OPTIONS.bufferSize;
  #buffer: InternalLogRecord[] = [];
  #removeSink: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #overflowed = 0;
  #unreported = 0;
  #suppressed = 0;
  #inFlight = 0;
  #lastDelivered = true;
  #seq = 0;

  /** Records lost because the buffer was full. */
  get overflowed(): number {
    return this.#overflowed;
  }

  /** Records not carried because they could have been caused by this source's own messages. */
  get suppressed(): number {
    return this.#suppressed;
  }

  /**
   * Binds the source to the pipeline's log before `init()`. `routes` are its
   * log paths: the components they reach are the ones whose records could echo.
   * @internal called by Pipeline
   */
  _attachHub(hub: LogHub, routes: readonly Route[]): void {
    this.#hub = hub;
    this.#downstream = downstreamOf(routes);
  }

  /** @throws ConfigError (ERR_INVALID_OPTION) naming a bad `level` or `bufferSize`. */
  override init(options: InternalSourceOptions): void {
    const o = resolveOptions(options);
    this.#rank = LEVELS.indexOf(o.level);
    this.#bufferSize = o.bufferSize;
    this.#downstream.add(this.persistName);
    this.setTransportName('internal');
    this.ackTracker = new InstantAckTracker(this.#onAck);
    this.#listen(); // last: nothing after it may fail, or deinit() would never undo it
  }

  override async run(): Promise<void> {
    while (!this.signal.aborted) {
      if (this.#buffer.length === 0 && this.#unreported === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      const batch = this.#buffer;
      this.#buffer = [];
      for (let i = 0; i < batch.length; i++) {
        if (this.signal.aborted) {
          // Kept for a reload's successor (see deinit).
          this.#buffer = batch.slice(i).concat(this.#buffer);
          return;
        }
        if (!this.#post(toMessage(batch[i]!))) await this.waitForWindow();
      }
      if (this.#unreported > 0 && !this.signal.aborted) {
        const n = this.#unreported;
        this.#unreported = 0;
        const msg = toMessage({
          time: Date.now(),
          level: 'warn',
          component: this.persistName,
          message: `${n} internal log record${n === 1 ? ' was' : 's were'} lost: the buffer was full (bufferSize=${this.#bufferSize})`,
        });
        if (!this.#post(msg)) await this.waitForWindow();
      }
    }
  }

  override requestExit(): void {
    this.#wakeUp();
  }

  override deinit(): void {
    this.#removeSink?.();
    this.#removeSink = undefined;
    const peers = this.#peers;
    if (peers === undefined) return;
    this.#peers = undefined;
    peers.splice(peers.indexOf(this), 1);
    const heir = peers.at(-1);
    if (heir !== undefined) {
      // A reload's successor (or, after a failed reload, the running instance) posts what this one did not.
      heir.#adopt(this.#buffer, this.#unreported);
    } else {
      listeners.get(this.#hub!)?.delete(this.persistName);
    }
    this.#buffer = [];
    this.#unreported = 0;
  }

  #listen(): void {
    const hub = this.#hub;
    if (hub === undefined) return; // not in a pipeline: nothing to carry
    let byName = listeners.get(hub);
    if (byName === undefined) listeners.set(hub, (byName = new Map<string, InternalSource[]>()));
    let peers = byName.get(this.persistName);
    if (peers === undefined) byName.set(this.persistName, (peers = []));
    peers.push(this);
    this.#peers = peers;
    this.#removeSink = hub.addSink(this.#sink);
  }

  readonly #sink = (r: InternalLogRecord): void => {
    if (LEVELS.indexOf(r.level) > this.#rank || this.#peers?.at(-1) !== this) return;
    // Its own records (a filter of its path that throws) and those of the destinations its
    // messages reach may have been caused by one of its messages: carrying them could loop.
    if (this.#downstream.has(r.component) && (this.#inFlight > 0 || !this.#lastDelivered)) {
      this.#suppressed++;
      return;
    }
    if (this.#buffer.length >= this.#bufferSize) {
      this.#overflowed++;
      this.#unreported++;
      return;
    }
    this.#buffer.push(r);
    this.#wakeUp();
  };

  #adopt(older: InternalLogRecord[], unreported: number): void {
    const room = Math.max(0, this.#bufferSize - this.#buffer.length);
    const kept = older.length > room ? older.slice(older.length - room) : older;
    this.#buffer = kept.concat(this.#buffer);
    const lost = older.length - kept.length + unreported;
    this.#overflowed += older.length - kept.length;
    this.#unreported += lost;
    if (this.#buffer.length > 0 || lost > 0) this.#wakeUp();
  }

  #post(msg: LogMessage): boolean {
    msg.setBookmark(++this.#seq);
    this.#inFlight++;
    return this.postMessage(msg);
  }

  readonly #onAck = (_bookmark: unknown, status: AckStatus): void => {
    this.#inFlight--;
    this.#lastDelivered = status === 'delivered';
  };

  #wakeUp(): void {
    const wake = this.#wake;
    if (wake === undefined) return;
    this.#wake = undefined;
    wake();
  }
}

function toMessage(r: InternalLogRecord): LogMessage {
  const msg = new LogMessage(r.stack ? `${r.message}\n${r.stack}` : r.message);
  msg.setTimestamp(r.time);
  msg.setPri(FACILITY_SYSLOG * 8 + SEVERITY[r.level]);
  msg.set('HOST', HOST);
  msg.set('PROGRAM', 'logpath');
  msg.set('PID', PID);
  msg.set('LOGPATH.COMPONENT', r.component);
  msg.set('LOGPATH.LEVEL', r.level);
  return msg;
}

/** Persist names of every destination the routes reach, following fallbacks. */
function downstreamOf(routes: readonly Route[]): Set<string> {
  const out = new Set<string>();
  for (const r of routes) {
    for (const d of r.destinations) {
      for (let x: DestinationDriver | undefined = d; x !== undefined; x = x.fallback) {
        if (out.has(x.counters.persistName)) break;
        out.add(x.counters.persistName);
      }
    }
  }
  return out;
}

function resolveOptions(input: InternalSourceOptions): Required<InternalSourceOptions> {
  const issues: Issues = [];
  const o = { ...DEFAULT_INTERNAL_SOURCE_OPTIONS };
  checkKnownKeys(issues, 'options', input, Object.keys(DEFAULT_INTERNAL_SOURCE_OPTIONS));
  if (input.level !== undefined && checkOneOf(issues, 'level', input.level, LEVELS))
    o.level = input.level;
  if (input.bufferSize !== undefined && checkInt(issues, 'bufferSize', input.bufferSize, 1)) {
    o.bufferSize = input.bufferSize;
  }
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
  return o;
}
