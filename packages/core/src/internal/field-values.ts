/** Field value types and their conversions, shared by LogMessage's getters. */

/** A JSON value as stored in a message field. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A value of a name-value pair. Values keep their types: strings stay strings
 * (never bytes), numbers keep full precision, dates keep their instant.
 */
export type LogValue =
  | JsonValue // string, number, boolean, null, JSON arrays and objects
  | bigint
  | Date
  | readonly string[]
  | Uint8Array;

const utf8 = new TextDecoder('utf-8');

/** Approximate size of a value in bytes, for `batchBytes` accounting. */
export function valueSize(v: LogValue): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.byteLength;
  if (v === null || typeof v !== 'object') return 8;
  if (v instanceof Date) return 24;
  return 64;
}

// The local offset changes at most at an hour boundary (DST): cache it per hour.
let offsetHour = NaN;
let offsetValue = 0;

/** The local UTC offset at `ms`, in minutes east. */
export function localOffsetAt(ms: number): number {
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== offsetHour) {
    offsetValue = -new Date(ms).getTimezoneOffset() || 0;
    offsetHour = hour;
  }
  return offsetValue;
}

/** A field value as text: bytes as UTF-8, dates as ISO 8601, objects as JSON. */
export function stringifyValue(v: LogValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return utf8.decode(v);
  // An invalid Date must not make format() throw on the hot path.
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v as string[]).join(',');
  return JSON.stringify(v);
}

/** A field value as JSON: bigints as strings, dates as ISO 8601, bytes as base64. */
export function toJsonValue(v: LogValue): JsonValue {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array)
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return v as JsonValue;
}

/** Interleaved fields (`[name, value, …]`) as a JSON-safe object, values through toJsonValue. */
export function fieldsToJson(f: readonly unknown[]): Record<string, JsonValue> {
  // A plain object (a null-prototype one is slow to build and to stringify);
  // "__proto__" is defined as an own property, never through the setter.
  const out: Record<string, JsonValue> = {};
  for (let i = 0; i < f.length; i += 2) {
    const k = f[i] as string;
    const v = toJsonValue(f[i + 1] as LogValue);
    if (k === '__proto__') {
      Object.defineProperty(out, k, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[k] = v;
  }
  return out;
}

/** Approximate size in bytes of interleaved fields (`[name, value, …]`). */
export function fieldsSize(f: readonly unknown[]): number {
  let n = 0;
  for (let i = 0; i < f.length; i += 2)
    n += (f[i] as string).length + valueSize(f[i + 1] as LogValue);
  return n;
}
