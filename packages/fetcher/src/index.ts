export { FetchStatus, type FetchResult } from './fetch-status.js';
export { LogFetcher, DEFAULT_FETCHER_OPTIONS, type FetcherOptions } from './log-fetcher.js';
export { HttpPoller } from './http-poller.js';
export {
  DEFAULT_HTTP_POLLER_OPTIONS,
  type HttpPollerOptions,
  type HttpPollerAuth,
  type HttpPollerCursor,
} from './http-poller-options.js';
