/**
 * One chain test from start to report, for chain-sigkill and chain-sigterm:
 * the scenario in a temporary directory, its figures in
 * `results/<name>.json`, and the checks both variants share. Each test adds
 * what is its own (exit codes, duplicates).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, vi } from 'vitest';
import {
  chainResult,
  chainScenario,
  runChain,
  running,
  type ChainOptions,
  type ChainReport,
} from './chain-support.js';
import { writeResult } from './results.js';

let dir: string | undefined;

/** Registers the cleanup: hops still running are killed, the directory removed. */
export function cleanUpChains(): void {
  afterEach(async () => {
    for (const hop of running) hop.proc.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
}

/**
 * Runs the chain with the middle hops stopped by `signal`, writes and logs
 * the result as `name`, and checks that every acknowledged message arrived,
 * nothing unexpected did, and every fault hit while the client was sending.
 */
export async function runChainCase(
  signal: ChainOptions['signal'],
  name: string,
): Promise<{ o: ChainOptions; r: ChainReport }> {
  dir = await mkdtemp(join(tmpdir(), `logpath-${name}-`));
  const o = await chainScenario(signal, dir);
  const r = await runChain(o, vi.waitFor);
  const result = chainResult(name, o, r);
  await writeResult(result);
  console.log(`chain ${signal}: ${JSON.stringify(result)}`);

  expect(r.client.acked.size).toBe(o.total);
  expect(r.tally.lost).toBe(0);
  expect(r.tally.unexpected).toBe(0);
  expect(r.tally.delivered).toBe(o.total);
  // Every fault hit while the client was still sending.
  expect(Math.max(...Object.values(r.faultAt))).toBeLessThan(o.total / o.batch);
  return { o, r };
}
