/**
 * End-to-end chain, crash variant: HTTP (`respond: 'delivered'`) → Kafka →
 * WebSocket (acks) → file, each hop a `logpath run` process. While a client
 * posts NDJSON requests and retries anything that did not get a 200, the
 * Kafka→WS hop, then the WS→file hop, then both at once are killed with
 * SIGKILL and restarted. Every message that got a 200 must be in the final file;
 * duplicates (what a killed hop delivered but had not committed or
 * acknowledged) are allowed and reported. Figures: `results/chain-sigkill.json`.
 */
import { describe, expect, it } from 'vitest';
import { cleanUpChains, runChainCase } from './chain-case.js';

cleanUpChains();

describe('end-to-end chain HTTP → Kafka → WebSocket → file', () => {
  it('loses no acknowledged message when the middle hops are killed (SIGKILL) and restarted', async () => {
    const { r } = await runChainCase('SIGKILL', 'chain-sigkill');
    // The killed hops exit by signal (null); every final SIGTERM stop is clean.
    expect(r.exits.map((e) => e.code)).toEqual([null, null, null, null, 0, 0, 0]);
  }, 240_000);
});
