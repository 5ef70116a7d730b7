import {
  DEFAULT_KAFKA_SOURCE_OPTIONS,
  type KafkaSourceOptions,
  type ResolvedKafkaSourceOptions,
} from '../kafka-source-options.js';
import { CHUNK_SPAN } from './offset-tracker.js';
import {
  checkBoolean,
  checkBrokers,
  checkInt,
  checkKnownKeys,
  checkMs,
  checkOneOf,
  checkString,
  isPlainObject,
  show,
  throwIfIssues,
  type Issues,
} from './validate.js';

const KNOWN = [
  'brokers',
  'kafka',
  'groupId',
  'topics',
  ...Object.keys(DEFAULT_KAFKA_SOURCE_OPTIONS),
];
/** Options that configure the client `resolve*Options` builds; meaningless next to `kafka`. */
export const CLIENT_KEYS = [
  'brokers',
  'clientId',
  'ssl',
  'sasl',
  'connectionTimeout',
  'requestTimeout',
  'kafkaLogLevel',
] as const;
const LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;

/** Checks `ssl`, `sasl` and `kafka`, the options passed through to kafkajs. */
export function checkClientObjects(
  issues: Issues,
  v: Record<string, unknown>,
  needs: 'consumer' | 'producer',
): void {
  if (v.ssl !== undefined && typeof v.ssl !== 'boolean' && !isPlainObject(v.ssl)) {
    issues.push(`ssl must be true, false or an object of tls.connect options, got ${show(v.ssl)}`);
  }
  if (v.sasl !== undefined && !(isPlainObject(v.sasl) && typeof v.sasl.mechanism === 'string')) {
    issues.push(`sasl must be an object with a "mechanism" string, got ${show(v.sasl)}`);
  }
  if (v.kafka !== undefined) {
    const k = v.kafka as Record<string, unknown> | null;
    if (typeof k !== 'object' || k === null || typeof k[needs] !== 'function') {
      issues.push(
        `kafka must be a kafkajs Kafka instance (with a ${needs}() method), got ${show(v.kafka)}`,
      );
    }
    const clash = CLIENT_KEYS.filter((key) => v[key] !== undefined);
    if (clash.length > 0) {
      issues.push(
        `kafka replaces the client options: leave out ${clash.join(', ')} when kafka is given`,
      );
    }
  } else if (v.brokers === undefined) {
    issues.push('brokers is required (or a ready client as kafka)');
  }
}

/**
 * Applies defaults and validates every option of {@link KafkaSourceOptions}.
 * @throws ConfigError (ERR_INVALID_OPTION) listing every invalid option.
 */
export function resolveSourceOptions(input: unknown): ResolvedKafkaSourceOptions {
  const issues: Issues = [];
  if (!isPlainObject(input)) {
    throwIfIssues([`KafkaSource options must be an object, got ${show(input)}`]);
  }
  const v = input as Record<string, unknown> & Partial<KafkaSourceOptions>;
  const o: ResolvedKafkaSourceOptions = {
    ...DEFAULT_KAFKA_SOURCE_OPTIONS,
    brokers: [],
    kafka: undefined,
    groupId: '',
    topics: [],
  };
  checkKnownKeys(issues, 'KafkaSource', v, KNOWN);
  checkClientObjects(issues, v, 'consumer');
  if (v.kafka !== undefined) o.kafka = v.kafka;
  if (v.brokers !== undefined) o.brokers = checkBrokers(issues, v.brokers) ?? [];
  if (checkString(issues, 'groupId', v.groupId)) o.groupId = v.groupId;
  if (
    Array.isArray(v.topics) &&
    v.topics.length > 0 &&
    v.topics.every((t) => (typeof t === 'string' && t.length > 0) || t instanceof RegExp)
  ) {
    o.topics = v.topics;
  } else {
    issues.push(`topics must be a non-empty list of topic names or RegExps, got ${show(v.topics)}`);
  }
  const set = <K extends keyof ResolvedKafkaSourceOptions>(
    key: K,
    ok: (value: unknown) => boolean,
  ): void => {
    if (v[key] !== undefined && ok(v[key])) o[key] = v[key] as ResolvedKafkaSourceOptions[K];
  };
  set('clientId', (x) => checkString(issues, 'clientId', x));
  set('fromBeginning', (x) => checkBoolean(issues, 'fromBeginning', x));
  set('ssl', () => true);
  set('sasl', () => true);
  set('commit', (x) => checkOneOf(issues, 'commit', x, ['delivered', 'received']));
  set('maxInFlight', (x) => checkInt(issues, 'maxInFlight', x, 1, CHUNK_SPAN));
  set('commitInterval', (x) => checkMs(issues, 'commitInterval', x));
  set('drainTimeout', (x) => checkMs(issues, 'drainTimeout', x));
  set('handoverDelay', (x) => checkMs(issues, 'handoverDelay', x));
  set('format', (x) => checkOneOf(issues, 'format', x, ['raw', 'json', 'syslog']));
  set('messageField', (x) => checkString(issues, 'messageField', x));
  set('partitionsConsumedConcurrently', (x) =>
    checkInt(issues, 'partitionsConsumedConcurrently', x, 1),
  );
  set('sessionTimeout', (x) => checkMs(issues, 'sessionTimeout', x, 1));
  set('rebalanceTimeout', (x) => checkMs(issues, 'rebalanceTimeout', x, 1));
  set('heartbeatInterval', (x) => checkMs(issues, 'heartbeatInterval', x, 1));
  set('maxWaitTimeInMs', (x) => checkMs(issues, 'maxWaitTimeInMs', x));
  set('maxBytesPerPartition', (x) => checkInt(issues, 'maxBytesPerPartition', x, 1));
  set('maxBytes', (x) => checkInt(issues, 'maxBytes', x, 1));
  set('connectionTimeout', (x) => checkMs(issues, 'connectionTimeout', x, 1));
  set('requestTimeout', (x) => checkMs(issues, 'requestTimeout', x, 1));
  set('kafkaLogLevel', (x) => checkOneOf(issues, 'kafkaLogLevel', x, LOG_LEVELS));
  if (o.heartbeatInterval >= o.sessionTimeout) {
    issues.push(
      `heartbeatInterval (${o.heartbeatInterval} ms) must be below sessionTimeout (${o.sessionTimeout} ms)`,
    );
  }
  if (o.drainTimeout >= o.rebalanceTimeout) {
    issues.push(
      `drainTimeout (${o.drainTimeout} ms) must be below rebalanceTimeout (${o.rebalanceTimeout} ms): the group waits no longer for a member to rejoin`,
    );
  }
  throwIfIssues(issues);
  return o;
}
