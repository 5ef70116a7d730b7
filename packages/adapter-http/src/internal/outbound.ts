import { DestinationResult as R, type LogMessage } from '@logpath/core';

/** The messages of one batch bound for one URL. */
export interface UrlGroup {
  readonly url: string;
  readonly lines: string[];
  /** Kept only with URL templates, where one group can succeed while another fails. */
  readonly messages: LogMessage[];
}

/**
 * Milliseconds a `Retry-After` value asks to wait (delta-seconds or an HTTP
 * date), capped at `max`; undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null,
  max: number,
  now = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, max);
}

/** A URL safe to log: credentials and the query are left out. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Joins serialised messages into a request body. */
export function joinBody(lines: readonly string[], jsonArray: boolean): string {
  return jsonArray ? `[${lines.join(',')}]` : `${lines.join('\n')}\n`;
}

/** Worst of two result codes for one batch: NOT_CONNECTED > ERROR > DROP > SUCCESS. */
export function worse(a: number, b: number): number {
  return SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a;
}

const SEVERITY: readonly number[] = [R.SUCCESS, R.DROP, R.ERROR, R.NOT_CONNECTED];
