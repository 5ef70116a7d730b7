import { compileTemplate } from '@logpath/core';
import {
  DEFAULT_KAFKA_DESTINATION_OPTIONS,
  type KafkaDestinationOptions,
  type ResolvedKafkaDestinationOptions,
} from '../kafka-destination-options.js';
import { checkClientObjects } from './resolve-source-options.js';
import {
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

const KNOWN = ['brokers', 'kafka', 'topic', ...Object.keys(DEFAULT_KAFKA_DESTINATION_OPTIONS)];
const LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;

function checkTemplate(issues: Issues, name: string, value: unknown): value is string {
  if (typeof value !== 'string') {
    issues.push(`${name} must be a template string, got ${show(value)}`);
    return false;
  }
  try {
    compileTemplate(value);
    return true;
  } catch (err) {
    issues.push(`${name} is not a valid template: ${(err as Error).message}`);
    return false;
  }
}

/**
 * Applies defaults and validates every option of {@link KafkaDestinationOptions}.
 * @throws ConfigError (ERR_INVALID_OPTION) listing every invalid option.
 */
export function resolveDestinationOptions(input: unknown): ResolvedKafkaDestinationOptions {
  const issues: Issues = [];
  if (!isPlainObject(input)) {
    throwIfIssues([`KafkaDestination options must be an object, got ${show(input)}`]);
  }
  const v = input as Record<string, unknown> & Partial<KafkaDestinationOptions>;
  const o: ResolvedKafkaDestinationOptions = {
    ...DEFAULT_KAFKA_DESTINATION_OPTIONS,
    brokers: [],
    kafka: undefined,
    topic: '',
  };
  checkKnownKeys(issues, 'KafkaDestination', v, KNOWN);
  checkClientObjects(issues, v, 'producer');
  if (v.kafka !== undefined) o.kafka = v.kafka;
  if (v.brokers !== undefined) o.brokers = checkBrokers(issues, v.brokers) ?? [];
  if (checkString(issues, 'topic', v.topic) && checkTemplate(issues, 'topic', v.topic))
    o.topic = v.topic;
  const set = <K extends keyof ResolvedKafkaDestinationOptions>(
    key: K,
    ok: (value: unknown) => boolean,
  ): void => {
    if (v[key] !== undefined && ok(v[key])) o[key] = v[key] as ResolvedKafkaDestinationOptions[K];
  };
  set('clientId', (x) => checkString(issues, 'clientId', x));
  set('ssl', () => true);
  set('sasl', () => true);
  set('key', (x) => checkTemplate(issues, 'key', x));
  set('value', (x) => checkTemplate(issues, 'value', x));
  set('headers', (x) => {
    if (!isPlainObject(x)) {
      issues.push(`headers must be an object of name → template, got ${show(x)}`);
      return false;
    }
    return Object.entries(x).every(([name, t]) => checkTemplate(issues, `headers.${name}`, t));
  });
  set('acks', (x) => checkOneOf(issues, 'acks', x, [-1, 0, 1]));
  set('compression', (x) => checkOneOf(issues, 'compression', x, ['none', 'gzip']));
  set('timeout', (x) => checkMs(issues, 'timeout', x, 1));
  set('maxMessageBytes', (x) => checkInt(issues, 'maxMessageBytes', x, 1));
  set('metadataMaxAge', (x) => checkMs(issues, 'metadataMaxAge', x));
  set('connectionTimeout', (x) => checkMs(issues, 'connectionTimeout', x, 1));
  set('requestTimeout', (x) => checkMs(issues, 'requestTimeout', x, 1));
  set('kafkaLogLevel', (x) => checkOneOf(issues, 'kafkaLogLevel', x, LOG_LEVELS));
  throwIfIssues(issues);
  return o;
}
