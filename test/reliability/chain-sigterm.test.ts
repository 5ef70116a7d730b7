/**
 * End-to-end chain, graceful variant: as chain-sigkill.test.ts, but the
 * middle hops are stopped with SIGTERM (`logpath run` stops the pipeline:
 * the KafkaSource drains and commits what was delivered, the
 * WebSocketSource answers every frame it read before closing with 1001).
 * Nothing may be lost and nothing duplicated. Figures:
 * `results/chain-sigterm.json`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chainResult, chainScenario, runChain, running } from './chain-support.js';
import { writeResult } from './results.js';

let dir: string | undefined;

afterEach(async () => {
  for (const hop of running) hop.proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('end-to-end chain HTTP → Kafka → WebSocket → file', () => {
  it('loses and duplicates nothing when the middle hops are stopped (SIGTERM) and restarted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'logpath-chain-term-'));
    const o = await chainScenario('SIGTERM', dir);
    const r = await runChain(o, vi.waitFor);
    const result = chainResult('chain-sigterm', o, r);
    await writeResult(result);
    console.log(`chain SIGTERM: ${JSON.stringify(result)}`);

    expect(r.client.acked.size).toBe(o.total);
    expect(r.tally.lost).toBe(0);
    expect(r.tally.unexpected).toBe(0);
    expect(r.tally.delivered).toBe(o.total);
    // Every fault hit while the client was still sending.
    expect(Math.max(...Object.values(r.faultAt))).toBeLessThan(o.total / o.batch);
    // Every stop, the faults' and the final ones, is clean.
    expect(r.exits.map((e) => e.code)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(r.tally.duplicated).toBe(0);
  }, 240_000);
});
