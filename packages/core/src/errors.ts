/**
 * Stable error codes carried by every {@link LogpathError}. Match on `code`,
 * never on the message text.
 */
export const ErrorCode = {
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  INVALID_CONFIG: 'ERR_INVALID_CONFIG',
  PERSIST_NAME_COLLISION: 'ERR_PERSIST_NAME_COLLISION',
  INIT_FAILED: 'ERR_INIT_FAILED',
  LIFECYCLE: 'ERR_LIFECYCLE',
  PARSE: 'ERR_PARSE',
  MISSING_BOOKMARK: 'ERR_MISSING_BOOKMARK',
  PERSIST: 'ERR_PERSIST',
  TIMEOUT: 'ERR_TIMEOUT',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every error logpath throws. `code` is stable across versions;
 * library errors that caused it are kept in `cause`.
 */
export class LogpathError extends Error {
  /** Stable machine-readable code, one of {@link ErrorCode}. */
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A configuration or option is invalid. `issues` lists every problem found,
 * each naming the option, what was expected and the value given.
 */
export class ConfigError extends LogpathError {
  /** Every problem found, one sentence each. */
  readonly issues: readonly string[];

  constructor(
    issues: string | readonly string[],
    options?: { cause?: unknown; code?: ErrorCodeValue },
  ) {
    const list = typeof issues === 'string' ? [issues] : issues;
    super(
      options?.code ?? ErrorCode.INVALID_CONFIG,
      list.length === 1 ? list[0]! : `${list.length} configuration errors:\n- ${list.join('\n- ')}`,
      options,
    );
    this.issues = list;
  }
}

/** A component was used in the wrong lifecycle state, or failed to start or stop. */
export class LifecycleError extends LogpathError {
  constructor(message: string, options?: { cause?: unknown; code?: ErrorCodeValue }) {
    super(options?.code ?? ErrorCode.LIFECYCLE, message, options);
  }
}

/** Input could not be parsed (a syslog line, a template, NDJSON). */
export class ParseError extends LogpathError {
  /** The 1-based line of the input that failed, for input made of lines (NDJSON). */
  readonly line: number | undefined;

  constructor(message: string, options?: { cause?: unknown; line?: number }) {
    super(ErrorCode.PARSE, message, options);
    this.line = options?.line;
  }
}

/**
 * True for any logpath error, also one thrown by a second copy of the package
 * (matched by name and code, not only by `instanceof`).
 */
export function isLogpathError(value: unknown): value is LogpathError {
  if (value instanceof LogpathError) return true;
  return (
    value instanceof Error &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as unknown as { code: string }).code.startsWith('ERR_') &&
    /Error$/.test(value.name)
  );
}

/** Formats any thrown value for a log line, with its stack when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  try {
    return `non-error thrown: ${JSON.stringify(err)}`;
  } catch {
    return `non-error thrown: ${String(err)}`;
  }
}
