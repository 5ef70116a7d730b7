/**
 * Option validators of this package. Each pushes one sentence naming the
 * option, the expectation and the value onto `issues`, so `init()` can report
 * every problem in one ConfigError. (Core keeps its own copies internal.)
 */
export type Issues = string[];

/** Renders a value for an error message without throwing on cycles or bigints. */
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

/** Longest delay `setTimeout` accepts. */
export const MAX_MS = 2_147_483_647;

/** A duration: a finite number of ms that setTimeout accepts. */
export function checkMs(issues: Issues, name: string, value: unknown): value is number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_MS)
    return true;
  issues.push(`${name} must be a number of milliseconds from 0 to ${MAX_MS}, got ${show(value)}`);
  return false;
}

/** A non-empty string. */
export function checkString(issues: Issues, name: string, value: unknown): value is string {
  if (typeof value === 'string' && value.length > 0) return true;
  issues.push(`${name} must be a non-empty string, got ${show(value)}`);
  return false;
}

/** One of `allowed`. */
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

/** An object that is not null and not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object that is not null and not an array, as an issue when it is not. */
export function checkObject(
  issues: Issues,
  name: string,
  value: unknown,
): value is Record<string, unknown> {
  if (isPlainObject(value)) return true;
  issues.push(`${name} must be an object, got ${show(value)}`);
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
