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
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function checkInt(
  issues: Issues,
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): boolean {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)
    return true;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  issues.push(`${name} must be an integer ${range}, got ${show(value)}`);
  return false;
}

export function checkMs(issues: Issues, name: string, value: unknown, min = 0): boolean {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= 2_147_483_647)
    return true;
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

export function checkBoolean(issues: Issues, name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return true;
  issues.push(`${name} must be true or false, got ${show(value)}`);
  return false;
}

export function checkOneOf(
  issues: Issues,
  name: string,
  value: unknown,
  allowed: readonly unknown[],
): boolean {
  if (allowed.includes(value)) return true;
  issues.push(`${name} must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
  return false;
}

export function checkStringList(
  issues: Issues,
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
    `${name} must be ${allowEmpty ? 'an' : 'a non-empty'} array of non-empty strings, got ${show(value)}`,
  );
  return false;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reports keys of `input` that `known` does not list: typos must not be ignored silently. */
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

/** Throws the collected issues as one ConfigError (ERR_INVALID_OPTION). */
export function throwIfIssues(issues: Issues): void {
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
}
