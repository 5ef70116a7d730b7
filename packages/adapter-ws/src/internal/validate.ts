/**
 * Option validators this package needs beyond core's public ones (checkInt,
 * checkMs, checkString, …), worded the same way: each pushes one sentence
 * naming the option, what was expected and the value given, so init() can
 * report every problem at once in a single ConfigError.
 */
import {
  checkKnownKeys,
  ConfigError,
  ErrorCode,
  showValue,
  type OptionIssues,
} from '@logpath/core';

/** An object that is neither null nor an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An array (possibly empty) of non-empty strings. */
export function checkStringList(
  issues: OptionIssues,
  name: string,
  value: unknown,
): value is string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0))
    return true;
  issues.push(`${name} must be an array of non-empty strings, got ${showValue(value)}`);
  return false;
}

/**
 * Throws one ConfigError (code ERR_INVALID_OPTION) listing every issue.
 * @throws ConfigError when `issues` is not empty.
 */
export function throwIfIssues(issues: OptionIssues): void {
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
}

/** Reads one option: its value when `ok` accepts it (`name` is `options.<key>`), else the default. */
export type OptionPicker<D> = <K extends keyof D>(
  key: K,
  ok: (name: string, value: unknown) => boolean,
) => D[K];

/**
 * Starts validating the options of `where`: refuses a non-object at once,
 * reports unknown keys onto `issues`, and returns a picker over `defaults`.
 * @throws ConfigError (ERR_INVALID_OPTION) when `input` is not a plain object.
 */
export function readOptions<D extends object>(
  issues: OptionIssues,
  where: string,
  input: object,
  known: readonly string[],
  defaults: D,
): OptionPicker<D> {
  if (!isPlainObject(input))
    throwIfIssues([`${where} options must be an object, got ${showValue(input)}`]);
  checkKnownKeys(issues, where, input, known);
  const o = input as Record<PropertyKey, unknown>;
  return (key, ok) => {
    const v = o[key];
    return v !== undefined && ok(`options.${String(key)}`, v)
      ? (v as D[typeof key])
      : defaults[key];
  };
}
