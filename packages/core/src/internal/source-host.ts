import type { LogMessage } from '../log-message.js';

/** Key under which the runtime attaches itself to a LogSource. */
export const kHost: unique symbol = Symbol('logpath.sourceHost');

/** What a LogSource calls into; implemented by the source driver. */
export interface SourceHost {
  post(msg: LogMessage): boolean;
  postMany(msgs: readonly LogMessage[]): boolean;
  closeBatch(): void;
  waitForWindow(): Promise<void>;
  setTransport(name: string): void;
  readonly exitRequested: boolean;
  readonly hasRoom: boolean;
}
