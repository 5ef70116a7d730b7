/**
 * Heartbeat of a WebSocketSource: one timer for all connections, not one per
 * connection. Every `interval` ms each connection is pinged; `timeout` ms
 * after a round, connections that still owe a pong from that round or an
 * earlier one are terminated. Paused connections are skipped: their reads are
 * stopped on purpose, so their pongs cannot arrive.
 */
import type { Connection } from './connection.js';

export class Heartbeat {
  readonly #interval: number;
  readonly #timeout: number;
  readonly #connections: ReadonlySet<Connection>;
  readonly #onTerminate: (conn: Connection) => void;
  #round = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #checks = new Set<NodeJS.Timeout>();
  readonly #immediates = new Set<NodeJS.Immediate>();

  constructor(
    interval: number,
    timeout: number,
    connections: ReadonlySet<Connection>,
    onTerminate: (conn: Connection) => void,
  ) {
    this.#interval = interval;
    this.#timeout = timeout;
    this.#connections = connections;
    this.#onTerminate = onTerminate;
  }

  start(): void {
    if (this.#interval <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(this.#ping, this.#interval);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const t of this.#checks) clearTimeout(t);
    this.#checks.clear();
    for (const i of this.#immediates) clearImmediate(i);
    this.#immediates.clear();
  }

  readonly #ping = (): void => {
    const round = ++this.#round;
    let pinged = 0;
    for (const c of this.#connections) {
      if (c.paused || c.closing) continue;
      if (c.awaitingPong === 0) c.awaitingPong = round;
      try {
        c.ws.ping();
        pinged++;
      } catch {
        // closed under us: its close event cleans up
      }
    }
    if (pinged === 0) return;
    const t = setTimeout(() => {
      this.#checks.delete(t);
      // After the poll phase, so that pongs already received are read first even
      // when a busy event loop made this timer late.
      const i = setImmediate(() => {
        this.#immediates.delete(i);
        this.#check(round);
      });
      this.#immediates.add(i);
    }, this.#timeout);
    t.unref();
    this.#checks.add(t);
  };

  #check(round: number): void {
    for (const c of this.#connections) {
      if (c.paused || c.closing) continue;
      if (c.awaitingPong !== 0 && c.awaitingPong <= round) this.#onTerminate(c);
    }
  }
}
