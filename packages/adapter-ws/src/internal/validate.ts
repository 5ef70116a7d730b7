/**
 * Option validators. Each pushes one sentence naming the option, what was
 * expected and the value given, so init() can report every problem at once in
 * a single ConfigError (core keeps its own helpers internal).
 */
import { ConfigError, ErrorCode } from '@logpath/core';

/** Problems found so far, one sentence each. */
export type Issues = string[];

/** Renders a value for an error message without throwing on cycles, bigints or secrets' length. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
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
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)
    return true;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  issues.push(`${name} must be an integer ${range}, got ${show(value)}`);
  return false;
}

export function checkMs(issues: Issues, name: string, value: unknown): value is number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 2_147_483_647)
    return true;
  issues.push(`${name} must be a number of milliseconds from 0 to 2147483647, got ${show(value)}`);
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

export function checkOneOf<T extends string>(
  issues: Issues,
  name: string,
  value: unknown,
  allowed: readonly T[],
): value is T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return true;
  issues.push(
    `${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(value)}`,
  );
  return false;
}

export function checkStringList(issues: Issues, name: string, value: unknown): value is string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0))
    return true;
  issues.push(`${name} must be an array of non-empty strings, got ${show(value)}`);
  return false;
}

/** Reports keys of `input` that `known` does not list: a typo must not be ignored silently. */
export function checkKnownKeys(
  issues: Issues,
  where: string,
  input: object,
  known: readonly string[],
): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key))
      issues.push(`${where}: unknown option "${key}" (known: ${known.join(', ')})`);
  }
}

/**
 * Throws one ConfigError (code ERR_INVALID_OPTION) listing every issue.
 * @throws ConfigError when `issues` is not empty.
 */
export function throwIfIssues(issues: Issues): void {
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
}
