import { checkMs, ConfigError, ErrorCode, showValue, type OptionIssues } from '@logpath/core';

/**
 * Option validators this package needs beyond core's public ones (checkInt,
 * checkMs, checkString, …), worded the same way: each pushes one sentence
 * naming the option, the expectation and the value.
 */

/**
 * A number of milliseconds from 1 to 2^31−1: a timeout of 0 would fire at once
 * (core's checkMs accepts 0).
 */
export function checkPositiveMs(issues: OptionIssues, name: string, value: unknown): boolean {
  if (typeof value === 'number' && value >= 1 && checkMs([], name, value)) return true;
  issues.push(
    `${name} must be a number of milliseconds from 1 to 2147483647, got ${showValue(value)}`,
  );
  return false;
}

/** An array of non-empty strings; `allowEmpty` says whether `[]` is fine. */
export function checkStringList(
  issues: OptionIssues,
  name: string,
  value: unknown,
  allowEmpty: boolean,
): value is string[] {
  if (
    Array.isArray(value) &&
    (allowEmpty || value.length > 0) &&
    value.every((v) => typeof v === 'string' && v.length > 0)
  ) {
    return true;
  }
  issues.push(
    `${name} must be ${allowEmpty ? 'an' : 'a non-empty'} array of non-empty strings, got ${showValue(value)}`,
  );
  return false;
}

/** An object that is neither null nor an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Throws the collected issues as one ConfigError.
 * @throws ConfigError (ERR_INVALID_OPTION) when `issues` is not empty.
 */
export function throwIfIssues(issues: OptionIssues): void {
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
}
