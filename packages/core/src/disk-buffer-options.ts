import { join, resolve } from 'node:path';
import {
  checkBoolean,
  checkInt,
  checkKnownKeys,
  checkString,
  show,
  type Issues,
} from './option-checks.js';

/**
 * A destination's disk buffer (`diskBuffer` beside `class` in the config):
 * its queue is kept in segment files, so messages survive a restart or a
 * crash and the buffer can be much larger than memory. Messages left in it at
 * stop are delivered first at the next start (they are not counted as
 * dropped). The destination's share of a message is acknowledged to the
 * source once the message is in the buffer, not when it is delivered: a
 * later DROP is counted at the destination but not reported to the source.
 *
 * What a crash can lose:
 * - `reliable: true` (default): no acknowledged message. A message is
 *   acknowledged only after its record is written and fsynced (one write and
 *   one fsync for all the messages of an event-loop turn), so after `kill -9`,
 *   an OS crash or a power loss every acknowledged message is delivered after
 *   the restart (given a disk that honours fsync). Messages not yet
 *   acknowledged may be lost; the source still has them (one with bookmarks
 *   reads them again, so they may arrive twice).
 * - `reliable: false`: messages are acknowledged as soon as they are queued,
 *   written every 100 ms or 1 MiB and never fsynced. `kill -9` loses what was
 *   not yet written: up to the last 100 ms (at most 1 MiB) of messages. An OS
 *   crash or power loss also loses what the OS had not yet written back from
 *   its page cache (on Linux typically up to the last 30 s).
 *
 * In both modes delivery is at least once: the read position is saved at
 * most every 100 ms (and at stop), so after a crash the messages delivered
 * since the last save are sent again. A record torn or damaged by a crash is
 * skipped, logged and counted as dropped (`error`); it never stops the start.
 */
export interface DiskBufferOptions {
  /**
   * Directory of the segment files and the read position; one destination
   * per directory. Default `<stateDir>/disk-buffer/<encodeURIComponent(persistName)>`.
   */
  dir?: string;
  /**
   * Size limit in bytes (≥ 1024) of the segment files. Once reached the queue
   * is full: with flow control the sources are suspended, without it new
   * messages are dropped (`queue-full`); `logFifoSize` does not apply.
   * Space comes back when a segment is fully delivered and deleted.
   */
  maxBytes: number;
  /**
   * fsync before acknowledging; see {@link DiskBufferOptions} for what a
   * crash loses. Default true. A source's window (`logIwSize`) bounds the
   * messages one fsync can acknowledge, so a reliable buffer takes at most
   * about `logIwSize` messages per fsync latency from that source.
   */
  reliable?: boolean;
  /** Size of a segment file in bytes, 1024 to 1 GiB, at most `maxBytes / 4`. Default 16 MiB. */
  segmentBytes?: number;
  /**
   * How many queued messages are also kept in memory, so the destination
   * reads them without decoding; the rest are read back from the files when
   * the destination gets to them. Default 10000.
   */
  memoryMessages?: number;
}

/** Defaults of the optional {@link DiskBufferOptions}. */
export const DEFAULT_DISK_BUFFER_OPTIONS: Readonly<
  Required<Omit<DiskBufferOptions, 'dir' | 'maxBytes'>>
> = Object.freeze({
  reliable: true,
  segmentBytes: 16 * 1024 * 1024,
  memoryMessages: 10_000,
});

/** Validated disk-buffer options with an absolute `dir`. @internal */
export type ResolvedDiskBuffer = Readonly<Required<DiskBufferOptions>>;

const KEYS = ['dir', 'maxBytes', 'reliable', 'segmentBytes', 'memoryMessages'];

/**
 * Validates the `diskBuffer` of the destination at `where` (e.g.
 * `destinations.out`), pushing a sentence per problem onto `issues`.
 * @internal
 */
export function resolveDiskBufferOptions(
  where: string,
  raw: unknown,
  stateDir: string,
  persistName: string,
  issues: Issues,
): ResolvedDiskBuffer | undefined {
  const name = `${where}.diskBuffer`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.push(`${name} must be an object with "maxBytes", got ${show(raw)}`);
    return undefined;
  }
  const input = raw as Record<string, unknown>;
  const before = issues.length;
  checkKnownKeys(issues, name, input, KEYS);
  const o = { ...DEFAULT_DISK_BUFFER_OPTIONS, dir: '', maxBytes: 0 };
  if (checkInt(issues, `${name}.maxBytes`, input.maxBytes, 1024)) o.maxBytes = input.maxBytes;
  if (input.dir === undefined)
    o.dir = join(stateDir, 'disk-buffer', encodeURIComponent(persistName));
  else if (checkString(issues, `${name}.dir`, input.dir)) o.dir = input.dir;
  if (input.reliable !== undefined && checkBoolean(issues, `${name}.reliable`, input.reliable)) {
    o.reliable = input.reliable;
  }
  const { segmentBytes, memoryMessages } = input;
  if (
    segmentBytes !== undefined &&
    checkInt(issues, `${name}.segmentBytes`, segmentBytes, 1024, 1 << 30)
  ) {
    o.segmentBytes = segmentBytes;
  }
  if (
    memoryMessages !== undefined &&
    checkInt(issues, `${name}.memoryMessages`, memoryMessages, 1)
  ) {
    o.memoryMessages = memoryMessages;
  }
  if (issues.length > before) return undefined;
  return { ...o, dir: resolve(o.dir) };
}
