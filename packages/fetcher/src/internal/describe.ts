import { LogMessage, showValue } from '@logpath/core';

const MAX_ITEMS = 4;
const MAX_CHARS = 200;

/**
 * Renders what a `fetch()` returned for a log line: short, never throwing,
 * and telling a LogMessage apart from the plain value it might be confused with.
 */
export function describeValue(value: unknown, depth = 0): string {
  if (value === undefined) return 'undefined';
  if (value instanceof LogMessage)
    return `LogMessage(${clip(showValue(value.getAsString('MESSAGE') ?? ''))})`;
  if (Array.isArray(value)) {
    if (depth > 1) return `[…${value.length} items]`;
    const head = value.slice(0, MAX_ITEMS).map((v) => describeValue(v, depth + 1));
    if (value.length > MAX_ITEMS) head.push(`…${value.length - MAX_ITEMS} more`);
    return `[${head.join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return `an object of class ${(value as object).constructor?.name ?? '(anonymous)'}`;
    }
  }
  return clip(showValue(value));
}

function clip(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}
