import type { Server } from 'node:http';
import { HttpSource, type HttpSourceOptions } from '@logpath/adapter-http';

/** Options of {@link DemoHttpSource}: those of HttpSource plus a callback. */
export interface DemoHttpSourceOptions extends HttpSourceOptions {
  /** Called once each time the server listens, with it and its bound port. */
  onListening?: (server: Server, port: number) => void;
}

let next: { promise: Promise<Server>; resolve: (s: Server) => void } | undefined;

function pending(): { promise: Promise<Server>; resolve: (s: Server) => void } {
  if (next === undefined) {
    let resolve!: (s: Server) => void;
    const promise = new Promise<Server>((r) => (resolve = r));
    next = { promise, resolve };
  }
  return next;
}

/**
 * The server of the running {@link DemoHttpSource}, once it listens: the
 * WebSocket source's `server` option, so both share one port.
 */
export function demoHttpServer(): Promise<Server> {
  return pending().promise;
}

/**
 * An HttpSource that hands its listening server to {@link demoHttpServer}
 * and reports it to `onListening` (the demo prints its banner there): the
 * bound port is only known once it listens, e.g. with port 0.
 */
export class DemoHttpSource extends HttpSource {
  #onListening: DemoHttpSourceOptions['onListening'];

  /** @throws ConfigError (ERR_INVALID_OPTION) as HttpSource does. */
  override init(options: DemoHttpSourceOptions): void {
    const { onListening, ...rest } = options;
    this.#onListening = onListening;
    super.init(rest);
  }

  override async run(): Promise<void> {
    const running = super.run();
    this.whenListening().then(
      (port) => {
        pending().resolve(this.server!);
        this.#onListening?.(this.server!, port);
      },
      () => {}, // the listen error is run()'s to report
    );
    try {
      await running;
    } finally {
      // A restarted source (reload, reopen) listens anew: later callers wait for that server.
      next = undefined;
    }
  }
}
