/**
 * Small helpers the examples share (not part of logpath): where an example
 * writes its output, and waiting for something to happen.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The example's output directory: `$EXAMPLE_OUT` if set (created), else a new temp directory. */
export function outDir(example: string): string {
  const dir = process.env.EXAMPLE_OUT;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  return mkdtempSync(join(tmpdir(), `logpath-${example}-`));
}

/** Resolves once `check()` is true (checked every 50 ms); rejects after `timeoutMs` naming `what`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The non-empty lines of a file (none if it does not exist yet). */
export function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
