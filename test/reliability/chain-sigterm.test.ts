/**
 * End-to-end chain, graceful variant: as chain-sigkill.test.ts, but the
 * middle hops are stopped with SIGTERM (`logpath run` stops the pipeline:
 * the KafkaSource drains and commits what was delivered, the
 * WebSocketSource answers every frame it read before closing with 1001).
 * Nothing may be lost and nothing duplicated. Figures:
 * `results/chain-sigterm.json`.
 */
import { describe, expect, it } from 'vitest';
import { cleanUpChains, runChainCase } from './chain-case.js';

cleanUpChains();

describe('end-to-end chain HTTP → Kafka → WebSocket → file', () => {
  it('loses and duplicates nothing when the middle hops are stopped (SIGTERM) and restarted', async () => {
    const { r } = await runChainCase('SIGTERM', 'chain-sigterm');
    // Every stop, the faults' and the final ones, is clean.
    expect(r.exits.map((e) => e.code)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(r.tally.duplicated).toBe(0);
  }, 240_000);
});
