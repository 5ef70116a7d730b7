import { ConfigError, ErrorCode } from '@logpath/core';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_DESTINATION_OPTIONS } from '../kafka-destination-options.js';
import { DEFAULT_KAFKA_SOURCE_OPTIONS } from '../kafka-source-options.js';
import { resolveDestinationOptions } from './resolve-destination-options.js';
import { resolveSourceOptions } from './resolve-source-options.js';

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCode.INVALID_OPTION);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

const kafka = new Kafka({ brokers: ['127.0.0.1:9092'] });

describe('resolveSourceOptions', () => {
  it('applies the defaults and accepts brokers as one comma-separated string', () => {
    const o = resolveSourceOptions({
      brokers: 'a:9092, b:9093',
      groupId: 'g',
      topics: ['t', /^x-/],
    });
    expect(o).toMatchObject({
      ...DEFAULT_KAFKA_SOURCE_OPTIONS,
      brokers: ['a:9092', 'b:9093'],
      groupId: 'g',
    });
    expect(o.topics).toEqual(['t', /^x-/]);
  });

  it('names every invalid option, with what was expected and the value', () => {
    const list = issues(() =>
      resolveSourceOptions({
        brokers: ['no-port'],
        groupId: 5,
        topics: [],
        commit: 'never',
        format: 'xml',
        maxInFlight: 2 ** 22,
        heartbeatInterval: -1,
        drainTimeout: 'soon',
        sasl: { user: 'x' },
        ssl: 'yes',
        kafkaLogLevel: 'verbose',
        colour: 'blue',
      }),
    );
    expect(list).toEqual(
      expect.arrayContaining([
        'KafkaSource: unknown option "colour" (known: ' +
          [
            'brokers',
            'kafka',
            'groupId',
            'topics',
            ...Object.keys(DEFAULT_KAFKA_SOURCE_OPTIONS),
          ].join(', ') +
          ')',
        'brokers must be a non-empty list of "host:port" strings (or one comma-separated string), got ["no-port"]',
        'groupId must be a non-empty string, got 5',
        'topics must be a non-empty list of topic names or RegExps, got []',
        'commit must be one of "delivered", "received", got "never"',
        'format must be one of "raw", "json", "syslog", got "xml"',
        'maxInFlight must be an integer from 1 to 2097152, got 4194304',
        'heartbeatInterval must be a number of milliseconds from 1 to 2147483647, got -1',
        'drainTimeout must be a number of milliseconds from 0 to 2147483647, got "soon"',
        'sasl must be an object with a "mechanism" string, got {"user":"x"}',
        'ssl must be true, false or an object of tls.connect options, got "yes"',
        'kafkaLogLevel must be one of "nothing", "error", "warn", "info", "debug", got "verbose"',
      ]),
    );
  });

  it('checks the timeouts against each other', () => {
    expect(
      issues(() =>
        resolveSourceOptions({
          brokers: 'a:1',
          groupId: 'g',
          topics: ['t'],
          sessionTimeout: 3000,
          heartbeatInterval: 3000,
        }),
      ),
    ).toEqual(['heartbeatInterval (3000 ms) must be below sessionTimeout (3000 ms)']);
    expect(
      issues(() =>
        resolveSourceOptions({ brokers: 'a:1', groupId: 'g', topics: ['t'], drainTimeout: 60_000 }),
      )[0],
    ).toMatch(/^drainTimeout \(60000 ms\) must be below rebalanceTimeout \(60000 ms\)/);
  });

  it('takes a ready client as kafka, and refuses client options beside it', () => {
    expect(resolveSourceOptions({ kafka, groupId: 'g', topics: ['t'] }).kafka).toBe(kafka);
    expect(
      issues(() =>
        resolveSourceOptions({ kafka, brokers: 'a:1', clientId: 'c', groupId: 'g', topics: ['t'] }),
      ),
    ).toEqual([
      'kafka replaces the client options: leave out brokers, clientId when kafka is given',
    ]);
    expect(issues(() => resolveSourceOptions({ kafka: {}, groupId: 'g', topics: ['t'] }))).toEqual([
      'kafka must be a kafkajs Kafka instance (with a consumer() method), got {}',
    ]);
    expect(issues(() => resolveSourceOptions({ groupId: 'g', topics: ['t'] }))).toEqual([
      'brokers is required (or a ready client as kafka)',
    ]);
    expect(issues(() => resolveSourceOptions(undefined))).toEqual([
      'KafkaSource options must be an object, got undefined',
    ]);
  });
});

describe('resolveDestinationOptions', () => {
  it('applies the defaults', () => {
    expect(resolveDestinationOptions({ brokers: ['a:1'], topic: 'logs-${HOST}' })).toMatchObject({
      ...DEFAULT_KAFKA_DESTINATION_OPTIONS,
      brokers: ['a:1'],
      topic: 'logs-${HOST}',
    });
  });

  it('names every invalid option', () => {
    const list = issues(() =>
      resolveDestinationOptions({
        brokers: 'a:1',
        topic: '',
        key: '${',
        value: 3,
        headers: ['x'],
        acks: 'all',
        timeout: 0,
        maxMessageBytes: 0,
      }),
    );
    expect(list).toEqual([
      'topic must be a non-empty string, got ""',
      expect.stringMatching(/^key is not a valid template: Unterminated/),
      'value must be a template string, got 3',
      'headers must be an object of name → template, got ["x"]',
      'acks must be one of -1, 0, 1, got "all"',
      'timeout must be a number of milliseconds from 1 to 2147483647, got 0',
      'maxMessageBytes must be an integer ≥ 1, got 0',
    ]);
  });

  it('wants a producer() on a client given as kafka', () => {
    expect(
      issues(() => resolveDestinationOptions({ kafka: { consumer() {} }, topic: 't' })),
    ).toEqual(['kafka must be a kafkajs Kafka instance (with a producer() method), got {}']);
  });
});
