/**
 * End-to-end chain, crash variant: HTTP (`respond: 'delivered'`) → Kafka →
 * WebSocket (acks) → file, each hop a `logpath run` process. While a client
 * posts NDJSON requests and retries anything that did not get a 200, the
 * Kafka→WS hop, then the WS→file hop, then both at once are killed with
 * SIGKILL and restarted. Every message that got a 200 must be in the final file;
 * duplicates (what a killed hop delivered but had not committed or
 * acknowledged) are allowed and reported. Figures: `results/chain-sigkill.json`.
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
  it('loses no acknowledged message when the middle hops are killed (SIGKILL) and restarted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'logpath-chain-kill-'));
    const o = await chainScenario('SIGKILL', dir);
    const r = await runChain(o, vi.waitFor);
    const result = chainResult('chain-sigkill', o, r);
    await writeResult(result);
    console.log(`chain SIGKILL: ${JSON.stringify(result)}`);

    expect(r.client.acked.size).toBe(o.total);
    expect(r.tally.lost).toBe(0);
    expect(r.tally.unexpected).toBe(0);
    expect(r.tally.delivered).toBe(o.total);
    // Every fault hit while the client was still sending.
    expect(Math.max(...Object.values(r.faultAt))).toBeLessThan(o.total / o.batch);
    // The killed hops exit by signal (null); every final SIGTERM stop is clean.
    expect(r.exits.map((e) => e.code)).toEqual([null, null, null, null, 0, 0, 0]);
  }, 240_000);
});
