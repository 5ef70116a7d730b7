/**
 * Option validators for plugin authors (and logpath itself). Each returns
 * whether the value is valid and otherwise pushes one sentence naming the
 * option, the expectation and the value onto `issues`, so `init()` can report
 * every problem at once: `if (issues.length) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION })`.
 */

/** The list the validators push problems onto. */
export type Issues = string[];

/** Renders a value for an error message without throwing on cycles or bigints. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // String() throws too for a null-prototype object that JSON cannot render (e.g. a cyclic one).
    try {
      return String(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}

/** An integer from `min` to `max` (default: no upper bound). */
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

/** A number of milliseconds a timer accepts: 0 to 2^31−1. */
export function checkMs(issues: Issues, name: string, value: unknown): value is number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 2_147_483_647) {
    return true;
  }
  issues.push(`${name} must be a number of milliseconds from 0 to 2147483647, got ${show(value)}`);
  return false;
}

/** A non-empty string. */
export function checkString(issues: Issues, name: string, value: unknown): value is string {
  if (typeof value === 'string' && value.length > 0) return true;
  issues.push(`${name} must be a non-empty string, got ${show(value)}`);
  return false;
}

/** `true` or `false`. */
export function checkBoolean(issues: Issues, name: string, value: unknown): value is boolean {
  if (typeof value === 'boolean') return true;
  issues.push(`${name} must be true or false, got ${show(value)}`);
  return false;
}

/** One of the `allowed` strings. */
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
