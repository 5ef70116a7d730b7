/**
 * Turns one WebSocket frame into messages, per format. A frame is parsed
 * whole before anything is posted, so a malformed frame is rejected whole:
 * never half a frame in the pipeline. The output arrays are reused from frame
 * to frame; nothing here allocates per message beyond the message itself.
 */
import { isAscii } from 'node:buffer';
import {
  LogMessage,
  ParseError,
  jsonFieldsFill,
  type JsonFill,
  type JsonValue,
} from '@logpath/core';

/** How a frame is read: `text` one message per frame; `lines` one per line; `json` an object (or an array of them); `ndjson` one object per line; `syslog` one syslog line per line. */
export type WebSocketFormat = 'text' | 'lines' | 'json' | 'ndjson' | 'syslog';

/** The formats, for validation and docs. */
export const FORMATS: readonly WebSocketFormat[] = ['text', 'lines', 'json', 'ndjson', 'syslog'];

/** An acknowledgement id taken from a JSON message. */
export type MessageId = string | number;

/**
 * Messages of one frame, reused across frames. `count` says how many entries
 * are valid: truncating the arrays would give their storage back and make
 * every frame grow them again.
 */
export class ParsedFrame {
  /** The messages; entries from `count` on are stale. */
  messages: LogMessage[];
  /** Id of each message, by index (undefined: the message has none). */
  readonly ids: (MessageId | undefined)[] = [];
  count = 0;
  /** How many messages carry an id. */
  idCount = 0;
  /** Id of the last message that carries one. */
  lastId: MessageId | undefined = undefined;
  /** True when every message already has the connection's fields (made from its template). */
  stamped = false;
  /**
   * True when `messages` is an array of the frame's own, exactly its messages
   * (made whole by the parser, without ids): it can be posted as it is.
   */
  whole = false;
  readonly #reused: LogMessage[] = [];

  constructor() {
    this.messages = this.#reused;
  }

  add(msg: LogMessage, id: MessageId | undefined): void {
    const i = this.count++;
    this.messages[i] = msg;
    this.ids[i] = id;
    if (id !== undefined) {
      this.idCount++;
      this.lastId = id;
    }
  }

  /** Takes the frame's messages as one array (no ids), already stamped. */
  adopt(messages: LogMessage[]): void {
    this.messages = messages;
    this.count = messages.length;
    this.stamped = true;
    this.whole = true;
  }

  /** Forgets the frame; drops the references so posted messages are not kept alive here. */
  reset(): void {
    if (this.whole) {
      this.messages = this.#reused;
      this.whole = false;
    } else {
      const m = this.messages;
      const ids = this.ids;
      for (let i = 0; i < this.count; i++) {
        m[i] = undefined as unknown as LogMessage;
        ids[i] = undefined;
      }
    }
    this.count = 0;
    this.idCount = 0;
    this.lastId = undefined;
    this.stamped = false;
  }
}

/** What a parser needs besides the frame. */
export interface ParserConfig {
  readonly format: WebSocketFormat;
  /** JSON field that becomes MESSAGE. */
  readonly messageField: string;
  /** JSON field holding the ack id; undefined when acks are off (ids are not read). */
  readonly idField: string | undefined;
}

const MAX_REASON = 200;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses `data` into `out`. Text frames (and binary frames in every format but
 * `text`) must be valid UTF-8. Returns undefined on success, or why the frame
 * is rejected. With `fields` (the connection's fields on one message), JSON
 * messages whose ids are not needed are made from the text and that template
 * (parsed when first read) and `out.stamped` says so.
 */
export function parseFrame(
  cfg: ParserConfig,
  data: Buffer,
  isBinary: boolean,
  out: ParsedFrame,
  fields?: LogMessage,
): string | undefined {
  if (out.count > 0 || out.stamped) out.reset();
  if (cfg.format === 'text') {
    // A binary frame stays bytes: MESSAGE can hold a Uint8Array.
    out.add(new LogMessage(isBinary ? new Uint8Array(data) : data.toString('utf8')), undefined);
    return undefined;
  }
  let text: string;
  if (isBinary) {
    try {
      text = fatalUtf8.decode(data);
    } catch {
      return 'binary frame is not valid UTF-8';
    }
  } else {
    // ws has validated UTF-8 of text frames. ASCII (most log text) reads the same
    // as Latin-1, whose decoding is a plain copy.
    text = isAscii(data) ? data.toString('latin1') : data.toString('utf8');
  }
  switch (cfg.format) {
    case 'lines':
      forEachLine(text, (line) => out.add(new LogMessage(line), undefined));
      return undefined;
    case 'syslog':
      forEachLine(text, (line) => out.add(LogMessage.parse(line), undefined));
      return undefined;
    case 'json':
      if (fields !== undefined && cfg.idField === undefined && addJsonText(cfg, text, out, fields))
        return undefined;
      return parseJsonFrame(cfg, text, out);
    case 'ndjson':
      if (fields !== undefined && cfg.idField === undefined) {
        return parseNdjsonText(cfg, text, out, fields);
      }
      return parseNdjson(cfg, text, out);
  }
}

/**
 * A JSON frame that is not an array, as one message parsed when first read;
 * false when it is an array or malformed (left to parseJsonFrame).
 */
function addJsonText(
  cfg: ParserConfig,
  text: string,
  out: ParsedFrame,
  fields: LogMessage,
): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b) return false;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
  }
  const msg = LogMessage.fromJsonText(text, jsonFieldsFill(cfg.messageField), fields);
  if (msg === undefined) return false;
  out.add(msg, undefined);
  out.stamped = true;
  return true;
}

/** NDJSON without ids: the whole frame checked now, each line parsed when first read. */
function parseNdjsonText(
  cfg: ParserConfig,
  text: string,
  out: ParsedFrame,
  fields: LogMessage,
): string | undefined {
  try {
    // One receive time per frame.
    out.adopt(LogMessage.fromJsonLines(text, jsonFieldsFill(cfg.messageField), fields, Date.now()));
    return undefined;
  } catch (err) {
    if (!(err instanceof ParseError) || err.line === undefined) throw err;
    return `line ${err.line}: malformed JSON (${jsonError(err.cause)})`;
  }
}

/** Calls `fn` for every non-empty line; `\r\n` endings are accepted. */
function forEachLine(text: string, fn: (line: string) => void): void {
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop > start) fn(start === 0 && stop === n ? text : text.slice(start, stop));
    start = end + 1;
  }
}

function parseJsonFrame(cfg: ParserConfig, text: string, out: ParsedFrame): string | undefined {
  const fill = jsonFieldsFill(cfg.messageField);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `malformed JSON (${jsonError(err)})`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) addJson(cfg, value[i], out, fill);
  } else {
    addJson(cfg, value, out, fill);
  }
  return undefined;
}

function parseNdjson(cfg: ParserConfig, text: string, out: ParsedFrame): string | undefined {
  const fill = jsonFieldsFill(cfg.messageField);
  let start = 0;
  let line = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    line++;
    if (end > start) {
      const s = start === 0 && end === n ? text : text.slice(start, end);
      let value: unknown;
      try {
        value = JSON.parse(s); // JSON.parse ignores a trailing \r (whitespace)
      } catch (err) {
        if (s.trim() !== '') return `line ${line}: malformed JSON (${jsonError(err)})`;
        start = end + 1;
        continue;
      }
      addJson(cfg, value, out, fill);
    }
    start = end + 1;
  }
  return undefined;
}

/** An object becomes fields (typed); any other JSON value becomes MESSAGE. */
function addJson(cfg: ParserConfig, value: unknown, out: ParsedFrame, fill: JsonFill): void {
  const msg = new LogMessage();
  let id: MessageId | undefined;
  fill(msg, value);
  if (cfg.idField !== undefined && isObject(value)) {
    const v = Object.hasOwn(value, cfg.idField) ? value[cfg.idField] : undefined;
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) id = v;
  }
  out.add(msg, id);
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonError(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.length > MAX_REASON ? `${m.slice(0, MAX_REASON)}…` : m;
}
