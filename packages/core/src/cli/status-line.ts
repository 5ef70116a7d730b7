import type { ComponentStats } from '../stats.js';

/** Totals of one stats snapshot that the status line compares over time. */
export interface StatusSample {
  readonly time: number;
  readonly posted: number;
  readonly delivered: number;
  readonly queued: number;
  readonly suspendedSources: number;
  readonly dropped: number;
}

/** Sums a stats snapshot into the figures the status line shows. */
export function sampleStats(stats: readonly ComponentStats[], time: number): StatusSample {
  let posted = 0;
  let delivered = 0;
  let queued = 0;
  let suspendedSources = 0;
  let dropped = 0;
  for (const s of stats) {
    for (const n of Object.values(s.dropped)) dropped += n;
    if (s.kind === 'source') {
      posted += s.posted;
      suspendedSources += s.suspended;
    } else {
      delivered += s.delivered;
      queued += s.queued;
    }
  }
  return { time, posted, delivered, queued, suspendedSources, dropped };
}

/** One status line: rates between two samples, gauges from the newer one. */
export function formatStatus(prev: StatusSample, cur: StatusSample): string {
  const secs = Math.max(0.001, (cur.time - prev.time) / 1000);
  const rate = (n: number): string => Math.round(n / secs).toLocaleString('en');
  return (
    `in ${rate(cur.posted - prev.posted)} msg/s · out ${rate(cur.delivered - prev.delivered)} msg/s · ` +
    `queued ${cur.queued.toLocaleString('en')} · suspended sources ${cur.suspendedSources} · ` +
    `dropped ${cur.dropped.toLocaleString('en')}`
  );
}

/**
 * Redraws a one-line status on a terminal every `intervalMs`; `stop()` clears
 * it. Only for TTYs: piped stderr gets the plain log lines alone.
 */
export function startStatusLine(
  stream: NodeJS.WriteStream,
  stats: () => readonly ComponentStats[],
  intervalMs = 1000,
): { stop(): void } {
  let prev = sampleStats(stats(), Date.now());
  const timer = setInterval(() => {
    const cur = sampleStats(stats(), Date.now());
    stream.write(`\r\x1b[2K${formatStatus(prev, cur)}`);
    prev = cur;
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
