import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FAKE_TIMERS,
  ManualSource,
  ScriptedDestination,
  comp,
  oneToOne,
  startPipeline,
  statsOf,
  stopAdvancing,
  until,
  type Script,
} from './test-helpers.js';

// retryAfter(ms): a destination's own wait (e.g. Retry-After) replaces timeReopen
// for one ERROR or NOT_CONNECTED, and a throttled ERROR does not use up retries.

beforeEach(() => vi.useFakeTimers(FAKE_TIMERS));
afterEach(() => vi.useRealTimers());

describe('retryAfter()', () => {
  it('waits the given time instead of timeReopen, without using up retries', async () => {
    const { p } = await startPipeline(
      oneToOne({
        class: ScriptedDestination,
        retries: 2,
        timeReopen: 1000,
        options: {
          // Throttled five times (more than retries), then accepted.
          send: (_m, attempt, dest) => {
            if (attempt > 5) return dest.SUCCESS;
            dest.retryAfter(5000);
            return dest.ERROR;
          },
        } satisfies Script,
      }),
    );
    const out = comp(p, 'out', ScriptedDestination);
    comp(p, 'src', ManualSource).post('m1');
    await until(() => expect(out.sends).toEqual(['m1']));
    await vi.advanceTimersByTimeAsync(4999);
    expect(out.sends).toHaveLength(1); // timeReopen (1000) alone would have resent by now
    await vi.advanceTimersByTimeAsync(1);
    await until(() => expect(out.sends).toHaveLength(2));
    for (let i = 0; i < 4; i++) await vi.advanceTimersByTimeAsync(5000);
    await until(() => expect(out.delivered).toEqual(['m1']));
    expect(statsOf(p, 'out').dropped).toEqual({});
    expect(statsOf(p, 'out').retried).toBe(5);
    await stopAdvancing(p);
  });

  it('applies to NOT_CONNECTED, and is forgotten after use', async () => {
    const { p } = await startPipeline(
      oneToOne({
        class: ScriptedDestination,
        timeReopen: 1000,
        options: {
          send: (_m, attempt, dest) => {
            if (attempt === 1) {
              dest.retryAfter(3000);
              return dest.NOT_CONNECTED;
            }
            return attempt === 2 ? dest.NOT_CONNECTED : dest.SUCCESS;
          },
        } satisfies Script,
      }),
    );
    const out = comp(p, 'out', ScriptedDestination);
    comp(p, 'src', ManualSource).post('m1');
    await until(() => expect(out.sends).toEqual(['m1']));
    await vi.advanceTimersByTimeAsync(2999);
    expect(out.sends).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => expect(out.sends).toHaveLength(2));
    await vi.advanceTimersByTimeAsync(1000); // the second failure waits timeReopen again
    await until(() => expect(out.delivered).toEqual(['m1']));
    await stopAdvancing(p);
  });

  it('rejects a negative or non-finite delay', () => {
    const d = new ScriptedDestination();
    expect(() => d.retryAfter(-1)).toThrow(RangeError);
    expect(() => d.retryAfter(Number.NaN)).toThrow(/≥ 0, got NaN/);
  });
});
