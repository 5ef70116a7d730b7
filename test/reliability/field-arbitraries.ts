/**
 * fast-check arbitraries of hostile field names and values for the
 * hostile-template tests (names such as `__proto__`, values parsed from JSON
 * with `__proto__` keys), and the expectations a message must meet for them.
 */
import fc from 'fast-check';
import { LogMessage, type JsonValue, type LogValue } from '@logpath/core';

// prettier-ignore
export const PROTO_NAMES = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty',
  '__defineGetter__', '__defineSetter__', '__lookupGetter__', 'isPrototypeOf',
  'propertyIsEnumerable', 'toLocaleString', 'toJSON', 'then', 'length', '0', 'polluted',
  '__proto__.polluted', 'constructor.prototype.polluted', 'prototype.polluted',
  'SDATA.__proto__.polluted', '__proto__[polluted]', 'constructor[prototype][polluted]',
];
// prettier-ignore
export const TEMPLATE_CHARS = ['$', '$', '{', '}', '$$', '${', 'a', 'Z', '_', '0', '.', ' ', '\\', '\n', '\0', '\uD800', 'é'];

export const protoName = fc.constantFrom(...PROTO_NAMES);
export const fieldName = fc.oneof(
  { weight: 3, arbitrary: protoName },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('_', 'p', 'r', 'o', 't', '.', '[', ']'),
      minLength: 1,
      maxLength: 12,
    }),
  },
);

/** Objects whose own keys are `__proto__` & co, built the way a JSON body would be. */
const POISON_JSON = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"},"toString":"x","valueOf":1}',
  '[{"__proto__":{"polluted":"yes"}}]',
];
export const poison = fc.constantFrom(...POISON_JSON).map((t) => JSON.parse(t) as JsonValue);

export const jsonFieldValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.string(),
  fc.constantFrom('polluted', '[object Object]', 'function () {}'),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  poison,
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
);
const fieldValue: fc.Arbitrary<LogValue> = fc.oneof(
  { weight: 4, arbitrary: jsonFieldValue },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }) },
  { weight: 1, arbitrary: fc.array(fc.string(), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }) },
);
export const fieldList = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 12 });

const canonical = (name: string): string => (name === 'MSG' ? 'MESSAGE' : name);

/** The last value set for each name, in first-set order: what the message must hold. */
export function expectedFields(list: [string, LogValue][]): Map<string, LogValue> {
  const m = new Map<string, LogValue>();
  for (const [n, v] of list) m.set(canonical(n), v);
  return m;
}

export function messageOf(list: [string, LogValue][]): LogMessage {
  const msg = new LogMessage('hello');
  for (const [n, v] of list) msg.set(n, v);
  return msg;
}

/** What `toJSON()` must turn a value into, by its documented rules. */
export function jsonOf(v: LogValue): JsonValue {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v as JsonValue;
}

/** Own entries sorted by key: compares objects whose keys include `__proto__` safely. */
export function ownEntries(o: object): [string, unknown][] {
  return Object.keys(o)
    .sort()
    .map((k) => [k, Object.getOwnPropertyDescriptor(o, k)!.value]);
}
