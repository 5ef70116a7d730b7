/**
 * AxoSyslog's own published figures, shown beside ours. Only figures found in
 * a source we can cite are listed; none is measured by this project.
 */

/** A figure AxoSyslog publishes, and which of our rows it compares with. */
export interface AxoSyslogFigure {
  /** Messages per second. */
  perSecond: number;
  /** What it measures, in a few words. */
  what: string;
  /** Where the figure comes from. */
  source: string;
  /** Rows (by their label, e.g. `fetcher: 1 msg/fetch → Null`) it is set beside. */
  appliesTo: (rowName: string) => boolean;
}

/** The figures; see each `source`. */
export const AXOSYSLOG_FIGURES: readonly AxoSyslogFigure[] = Object.freeze([
  {
    perSecond: 100_000,
    what: 'a trivial Python `LogFetcher` (an estimate in the documentation, not a benchmark)',
    source:
      "AxoSyslog's Python API documentation (axoflow/axosyslog-core-docs at 46f01e42): " +
      '"roughly 100k msg/s for a trivial fetcher", as recorded in the project\'s reference notes ' +
      'on the Python API, section 2 (LogFetcher), timing',
    appliesTo: (row: string) => row.startsWith('fetcher:'),
  },
]);

/** The AxoSyslog figure set beside `rowName`, if any. */
export function axoSyslogFigureFor(
  rowName: string,
  figures: readonly AxoSyslogFigure[] = AXOSYSLOG_FIGURES,
): AxoSyslogFigure | undefined {
  return figures.find((f) => f.appliesTo(rowName));
}
