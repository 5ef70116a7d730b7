export { KafkaSource, type KafkaSourceStats } from './kafka-source.js';
export {
  DEFAULT_KAFKA_SOURCE_OPTIONS,
  type KafkaSourceOptions,
  type KafkaCommitMode,
  type KafkaSourceFormat,
  type KafkaLogLevel,
} from './kafka-source-options.js';
export { KafkaDestination } from './kafka-destination.js';
export {
  DEFAULT_KAFKA_DESTINATION_OPTIONS,
  type KafkaDestinationOptions,
  type KafkaAcks,
  type KafkaCompression,
} from './kafka-destination-options.js';
export { KAFKA_FIELDS } from './internal/to-log-message.js';
