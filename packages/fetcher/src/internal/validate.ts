/**
 * Option validators this package needs beyond core's public ones (checkMs,
 * checkString, checkOneOf, …), worded the same way: each pushes one sentence
 * naming the option, the expectation and the value onto `issues`.
 */
import { showValue, type OptionIssues } from '@logpath/core';

/** Longest delay `setTimeout` accepts. */
export const MAX_MS = 2_147_483_647;

/** An object that is not null and not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object that is not null and not an array, as an issue when it is not. */
export function checkObject(
  issues: OptionIssues,
  name: string,
  value: unknown,
): value is Record<string, unknown> {
  if (isPlainObject(value)) return true;
  issues.push(`${name} must be an object, got ${showValue(value)}`);
  return false;
}
