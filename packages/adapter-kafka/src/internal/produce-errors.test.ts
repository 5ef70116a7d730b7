import { describe, expect, it } from 'vitest';
import { classifyProduceError } from './produce-errors.js';

function kafkaError(name: string, extra: Record<string, unknown> = {}, cause?: unknown): Error {
  return Object.assign(new Error(name, { cause }), { name, ...extra });
}

describe('classifyProduceError', () => {
  it('finds a too-large refusal through kafkajs retry wrappers', () => {
    const inner = kafkaError('KafkaJSProtocolError', {
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    expect(classifyProduceError(kafkaError('KafkaJSNonRetriableError', {}, inner))).toBe(
      'too-large',
    );
    expect(
      classifyProduceError(kafkaError('KafkaJSProtocolError', { type: 'RECORD_LIST_TOO_LARGE' })),
    ).toBe('too-large');
  });

  it('treats connection errors and retriable protocol errors as an outage', () => {
    const refused = kafkaError('KafkaJSConnectionError');
    expect(classifyProduceError(kafkaError('KafkaJSNumberOfRetriesExceeded', {}, refused))).toBe(
      'not-connected',
    );
    expect(classifyProduceError(kafkaError('KafkaJSRequestTimeoutError'))).toBe('not-connected');
    expect(
      classifyProduceError(
        kafkaError('KafkaJSProtocolError', { type: 'LEADER_NOT_AVAILABLE', retriable: true }),
      ),
    ).toBe('not-connected');
  });

  it('treats everything else as an error, an unknown topic included', () => {
    expect(
      classifyProduceError(
        kafkaError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true }),
      ),
    ).toBe('error');
    expect(
      classifyProduceError(
        kafkaError('KafkaJSProtocolError', {
          type: 'TOPIC_AUTHORIZATION_FAILED',
          retriable: false,
        }),
      ),
    ).toBe('error');
    expect(classifyProduceError(new TypeError('boom'))).toBe('error');
    expect(classifyProduceError('a string')).toBe('error');
  });
});
