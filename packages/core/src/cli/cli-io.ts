import { describeError, isLogpathError } from '../errors.js';
import { formatLogLine, type LogLevel } from '../logger.js';

/** Where a command writes: stdout for results, stderr for problems and logs. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The real streams of the process. */
export const processIo: CliIo = Object.freeze({ stdout: process.stdout, stderr: process.stderr });

/**
 * The lines that describe `err`: one per problem of a ConfigError, the
 * message of another logpath error, or the stack of an unexpected error
 * (a bug worth a stack trace).
 */
export function errorLines(err: unknown): string[] {
  const issues = (err as { issues?: unknown } | undefined)?.issues;
  if (isLogpathError(err) && Array.isArray(issues) && issues.length > 0) return issues as string[];
  return [isLogpathError(err) ? err.message : describeError(err)];
}

/** Writes `err` to stderr, one `error: ` line per problem; returns the number of problems. */
export function reportError(io: CliIo, err: unknown): number {
  const lines = errorLines(err);
  for (const line of lines) io.stderr.write(`error: ${line}\n`);
  return lines.length;
}

/** "1 problem", "2 problems". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Writes one line to stderr in the pipeline's own log format, as component `logpath`. */
export function logLine(io: CliIo, level: LogLevel, message: string): void {
  io.stderr.write(formatLogLine({ time: Date.now(), level, component: 'logpath', message }) + '\n');
}
