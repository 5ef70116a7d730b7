import { findCause } from './kafka-client.js';

/** What a failed `producer.send()` means for the records in it. */
export type ProduceFailure = 'too-large' | 'not-connected' | 'error';

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const CONNECTION = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

/**
 * Sorts a kafkajs produce error (kafkajs has already retried it): a record
 * the broker refuses as too large; an outage (connection errors, retriable
 * protocol errors such as a leader that is not available) that must be
 * waited out without ever dropping; anything else (authorization, unknown
 * topic, invalid records), which the runtime retries and then drops.
 */
export function classifyProduceError(err: unknown): ProduceFailure {
  if (findCause(err, (e) => TOO_LARGE.has(e.type ?? ''))) return 'too-large';
  // kafkajs calls an unknown topic retriable; waiting will not create it.
  if (findCause(err, (e) => e.type === 'UNKNOWN_TOPIC_OR_PARTITION')) return 'error';
  if (findCause(err, (e) => CONNECTION.has(e.name))) return 'not-connected';
  const retriable = findCause(
    err,
    (e) => e.name === 'KafkaJSProtocolError' && (e as { retriable?: boolean }).retriable === true,
  );
  return retriable ? 'not-connected' : 'error';
}
