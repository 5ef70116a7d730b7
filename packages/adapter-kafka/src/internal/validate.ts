import {
  ConfigError,
  ErrorCode,
  checkMs as coreCheckMs,
  showValue,
  type OptionIssues,
} from '@logpath/core';

export {
  checkBoolean,
  checkInt,
  checkKnownKeys,
  checkString,
  type OptionIssues as Issues,
} from '@logpath/core';

/**
 * Option validators this package needs beyond core's public ones (checkInt,
 * checkString, …), worded the same way: each pushes one sentence naming the
 * option, the expectation and the value.
 */

/** Renders a value for an error message; RegExps (topic patterns) as `/…/`. */
export function show(value: unknown): string {
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value) && value.some((v) => v instanceof RegExp)) {
    return `[${value.map(show).join(',')}]`;
  }
  return showValue(value);
}

/** An object that is neither null nor an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A number of milliseconds from `min` (default 0) to 2^31−1. */
export function checkMs(
  issues: OptionIssues,
  name: string,
  value: unknown,
  min = 0,
): value is number {
  if (typeof value === 'number' && value >= min && coreCheckMs([], name, value)) return true;
  issues.push(
    `${name} must be a number of milliseconds from ${min} to 2147483647, got ${show(value)}`,
  );
  return false;
}

/** One of `allowed`, which may hold numbers as well as strings. */
export function checkOneOf<T>(
  issues: OptionIssues,
  name: string,
  value: unknown,
  allowed: readonly T[],
): value is T {
  if ((allowed as readonly unknown[]).includes(value)) return true;
  issues.push(`${name} must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
  return false;
}

/** `brokers`: a non-empty list of `host:port`, or one comma-separated string. */
export function checkBrokers(issues: OptionIssues, value: unknown): string[] | undefined {
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

/**
 * Throws the collected issues as one ConfigError.
 * @throws ConfigError (ERR_INVALID_OPTION) when `issues` is not empty.
 */
export function throwIfIssues(issues: OptionIssues): void {
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
}
