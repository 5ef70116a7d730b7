export { HttpSource } from './http-source.js';
export {
  HTTP_SOURCE_DEFAULTS,
  type HttpSourceOptions,
  type HttpSourceFormat,
  type HttpSourceAuth,
  type HttpSourceTlsOptions,
  type HttpSourceCorsOptions,
} from './http-source-options.js';
export { HttpDestination } from './http-destination.js';
export {
  HTTP_DESTINATION_DEFAULTS,
  type HttpDestinationOptions,
  type HttpDestinationFormat,
  type HttpDestinationAuth,
  type HttpDestinationTlsOptions,
} from './http-destination-options.js';
