export { CaptureDestination } from './capture-destination.js';
export { ArraySource, type ArraySourceOptions } from './array-source.js';
export {
  startSource,
  runDestination,
  type StartSourceOptions,
  type SourceHarness,
  type RunDestinationOptions,
  type DestinationRun,
} from './harness.js';
