import type { ResolvedPollerOptions } from '../http-poller-options.js';
import { describeValue } from './describe.js';
import { readJsonPath } from './json-path.js';

/** What one response body holds. */
export interface Page {
  /** The items, each becoming one message. */
  readonly items: unknown[];
  /** The next cursor named by `cursor.path`, when there is one. */
  readonly next: string | undefined;
  /** The `cursor.more` flag, when configured. */
  readonly more: boolean | undefined;
}

/** The body does not have the configured shape; the message says what was found. */
export class PageError extends Error {}

/**
 * Splits a response body into items per `format`: the array at `items` of a
 * JSON document, one JSON value per ndjson line, or one string per text line
 * (empty lines skipped). A missing or null items array is an empty page.
 * @throws PageError or SyntaxError when the body does not fit.
 */
export function parsePage(text: string, o: ResolvedPollerOptions): Page {
  if (o.format === 'text') return { items: lines(text), next: undefined, more: undefined };
  if (o.format === 'ndjson') {
    const out = lines(text);
    for (let i = 0; i < out.length; i++) {
      try {
        out[i] = JSON.parse(out[i] as string);
      } catch (err) {
        throw new PageError(`ndjson line ${i + 1} is not JSON: ${(err as Error).message}`);
      }
    }
    return { items: out, next: undefined, more: undefined };
  }
  const doc: unknown = JSON.parse(text);
  const found = readJsonPath(doc, o.items);
  if (found !== undefined && found !== null && !Array.isArray(found)) {
    throw new PageError(
      `items ${o.items.length ? `at "${o.items.join('.')}"` : '(the document)'} is ${describeValue(found)}, not an array`,
    );
  }
  const c = o.cursor;
  return {
    items: (found as unknown[] | null | undefined) ?? [],
    next: c?.path ? cursorAt(doc, c.path) : undefined,
    more: c?.more ? flagAt(doc, c.more) : undefined,
  };
}

function lines(text: string): unknown[] {
  const out: unknown[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (stop > start) out.push(text.slice(start, stop));
    start = end + 1;
  }
  return out;
}

function cursorAt(doc: unknown, path: readonly string[]): string | undefined {
  const v = readJsonPath(doc, path);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new PageError(
    `cursor at "${path.join('.')}" is ${describeValue(v)}, not a string or number`,
  );
}

function flagAt(doc: unknown, path: readonly string[]): boolean | undefined {
  const v = readJsonPath(doc, path);
  if (v === undefined || v === null || typeof v === 'boolean') return v ?? undefined;
  throw new PageError(
    `"more" flag at "${path.join('.')}" is ${describeValue(v)}, not true or false`,
  );
}
