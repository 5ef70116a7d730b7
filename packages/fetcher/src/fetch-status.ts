import type { LogMessage } from '@logpath/core';

/**
 * What {@link LogFetcher.fetch} reports. The numbers match AxoSyslog's
 * `LogFetcherResult`, so ported code keeps working.
 *
 * | status | what the driver does next |
 * | --- | --- |
 * | `SUCCESS` | posts the message(s) as one batch, fetches again at once (after waiting for the window when it is full) |
 * | `TRY_AGAIN` | fetches again at once, after yielding to the event loop |
 * | `NO_DATA` | waits `fetchNoDataDelay` ms, then fetches |
 * | `NOT_CONNECTED` | waits `timeReopen` ms, then calls `open()` (not `close()`) |
 * | `ERROR` | calls `close()`, waits `timeReopen` ms, then calls `open()` |
 */
export const FetchStatus = Object.freeze({
  /** Failed: close, wait `timeReopen`, open again. */
  ERROR: 0,
  /** The connection is gone: wait `timeReopen`, then open again without closing. */
  NOT_CONNECTED: 1,
  /** Message(s) fetched: post them and fetch again at once. */
  SUCCESS: 2,
  /** Nothing this time, but more may be ready right away: fetch again at once. */
  TRY_AGAIN: 3,
  /** Nothing to fetch: wait `fetchNoDataDelay`, then fetch again. */
  NO_DATA: 4,
} as const);

/** One of the values of {@link FetchStatus}. */
export type FetchStatus = (typeof FetchStatus)[keyof typeof FetchStatus];

/**
 * What `fetch()` returns or resolves to: `[FetchStatus.SUCCESS, message]`,
 * `[FetchStatus.SUCCESS, messages]` (one batch; an empty array counts as
 * NO_DATA), or a bare status other than SUCCESS. Anything else is logged and
 * counted as ERROR.
 */
export type FetchResult =
  | readonly [typeof FetchStatus.SUCCESS, LogMessage | readonly LogMessage[]]
  | Exclude<FetchStatus, typeof FetchStatus.SUCCESS>;

const NAMES: readonly string[] = ['ERROR', 'NOT_CONNECTED', 'SUCCESS', 'TRY_AGAIN', 'NO_DATA'];

/** True when `value` is one of the {@link FetchStatus} values. */
export function isFetchStatus(value: unknown): value is FetchStatus {
  return typeof value === 'number' && NAMES[value] !== undefined;
}

/** The name of a status for log lines (`"NO_DATA"`), or the value itself when it is not one. */
export function fetchStatusName(status: unknown): string {
  return (typeof status === 'number' && NAMES[status]) || String(status);
}
