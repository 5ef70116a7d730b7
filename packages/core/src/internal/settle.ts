import type { AckOwner, LogMessage } from '../log-message.js';

/**
 * Records that one delivery of `msg` is finished with `status` (an AckStatus
 * ordinal; the worst wins) and completes the message at its owner when it was
 * the last one. A counter per message, no promise or closure.
 */
export function settle(msg: LogMessage, status: number): void {
  if (status > msg._status) msg._status = status;
  if (--msg._pending === 0) {
    const owner = msg._owner;
    if (owner !== undefined) owner.complete(msg);
  }
}

/**
 * Owner of a copy made for a log path that rewrites a message which also
 * takes other paths: the copy's completion settles the original.
 */
export class ForkOwner implements AckOwner {
  constructor(private readonly parent: LogMessage) {}

  complete(copy: LogMessage): void {
    settle(this.parent, copy._status);
  }
}
