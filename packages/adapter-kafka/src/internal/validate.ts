import { ConfigError, ErrorCode } from '@logpath/core';

/**
 * Option validators. Each pushes one sentence naming the option, the
 * expectation and the value, so that every problem is reported at once.
 * (Core keeps its own copy internal; these mirror its wording.)
 */
export type Issues = string[];

/** Renders a value for an error message without throwing. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof RegExp) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkInt(
  issues: Issues,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): value is number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
    return true;
  }
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  issues.push(`${name} must be an integer ${range}, got ${show(value)}`);
  return false;
}

export function checkMs(issues: Issues, name: string, value: unknown, min = 0): value is number {
  if (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= 2_147_483_647
  ) {
    return true;
  }
  issues.push(
    `${name} must be a number of milliseconds from ${min} to 2147483647, got ${show(value)}`,
  );
  return false;
}

export function checkString(issues: Issues, name: string, value: unknown): value is string {
  if (typeof value === 'string' && value.length > 0) return true;
  issues.push(`${name} must be a non-empty string, got ${show(value)}`);
  return false;
}

export function checkBoolean(issues: Issues, name: string, value: unknown): value is boolean {
  if (typeof value === 'boolean') return true;
  issues.push(`${name} must be true or false, got ${show(value)}`);
  return false;
}

export function checkOneOf<T>(
  issues: Issues,
  name: string,
  value: unknown,
  allowed: readonly T[],
): value is T {
  if ((allowed as readonly unknown[]).includes(value)) return true;
  issues.push(`${name} must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
  return false;
}

/** Reports keys of `input` that `known` does not list (typos must not be ignored silently). */
export function checkKnownKeys(
  issues: Issues,
  where: string,
  input: object,
  known: readonly string[],
): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      issues.push(`${where}: unknown option "${key}" (known: ${known.join(', ')})`);
    }
  }
}

/** `brokers`: a non-empty list of `host:port`, or one comma-separated string. */
export function checkBrokers(issues: Issues, value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? value.split(',').map((b) => b.trim()) : value;
  if (
    Array.isArray(list) &&
    list.length > 0 &&
    list.every((b) => typeof b === 'string' && /^[^\s:]+:\d{1,5}$/.test(b))
  ) {
    return list as string[];
  }
  issues.push(
    `brokers must be a non-empty list of "host:port" strings (or one comma-separated string), got ${show(value)}`,
  );
  return undefined;
}

/** Throws one ConfigError (ERR_INVALID_OPTION) listing every issue, if there is any. */
export function throwIfIssues(issues: Issues): void {
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
}
