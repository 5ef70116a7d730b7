/**
 * @logpath/adapter-ws: a WebSocket server as a log source (with
 * acknowledgements back to clients) and a WebSocket client destination.
 */
export {
  WebSocketSource,
  DEFAULT_WEBSOCKET_SOURCE_OPTIONS,
  type WebSocketSourceOptions,
  type WebSocketTlsOptions,
  type WebSocketAckMode,
} from './websocket-source.js';
export {
  WebSocketDestination,
  DEFAULT_WEBSOCKET_DESTINATION_OPTIONS,
  type WebSocketDestinationOptions,
  type WebSocketClientAuth,
  type WebSocketClientTlsOptions,
} from './websocket-destination.js';
export type { WebSocketAuth } from './internal/auth.js';
export type { WebSocketFormat } from './internal/frame-parser.js';
