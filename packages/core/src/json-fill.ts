import type { JsonFill, JsonValue, LogMessage } from './log-message.js';

// One fill per messageField, made once: there are as many as configured sources.
const fills = new Map<string, JsonFill>();

/**
 * The {@link JsonFill} that the adapters use, for {@link LogMessage.fromJsonText}
 * and {@link LogMessage.fromJsonLines}: an object's own keys become fields with
 * their JSON types (numbers stay numbers, nested values stay JSON values),
 * except `messageField`, which becomes MESSAGE. MESSAGE is text: a value that
 * is not a string is stored as its JSON text. Any other JSON value (an array,
 * a string, a number) becomes MESSAGE the same way. `__proto__` and
 * `constructor` are plain field names here.
 *
 * @param messageField - the key that becomes MESSAGE. Default `message`.
 */
export function jsonFieldsFill(messageField = 'message'): JsonFill {
  let f = fills.get(messageField);
  if (f === undefined) {
    f = (msg, value) => fill(msg, value, messageField);
    fills.set(messageField, f);
  }
  return f;
}

function fill(msg: LogMessage, value: unknown, messageField: string): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, JsonValue>;
    // Own keys only: a parsed "__proto__" key is an own property, never the prototype.
    const keys = Object.keys(obj);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = obj[k]!;
      if (k === messageField) msg.set('MESSAGE', asText(v));
      else msg.set(k, v);
    }
  } else {
    msg.set('MESSAGE', asText(value));
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
