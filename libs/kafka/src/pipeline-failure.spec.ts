import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyFailure } from './pipeline-failure';

/** A protocol error as kafkajs builds it from a broker's answer (type and retriable). */
const protocol = (type: string, retriable: boolean) =>
  Object.assign(new KafkaJSProtocolError(type), { type, retriable });

describe('classifyFailure', () => {
  it('splits on a broker refusing the records themselves, even wrapped', () => {
    const tooLarge = new KafkaJSNumberOfRetriesExceeded(protocol('MESSAGE_TOO_LARGE', false), {
      retryCount: 5,
      retryTime: 1000,
    });
    expect(classifyFailure(tooLarge, 'kafka')).toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      recordAtFault: true,
    });
  });

  it('retries fencing, coordinator moves and anything unknown from Kafka: good records are never split off', () => {
    for (const type of ['INVALID_PRODUCER_EPOCH', 'TOPIC_AUTHORIZATION_FAILED', 'NOT_COORDINATOR'])
      expect(classifyFailure(protocol(type, false), 'kafka').recordAtFault).toBe(false);
    expect(classifyFailure(new Error('socket hang up'), 'kafka')).toMatchObject({
      code: 'UNEXPECTED_ERROR',
      recordAtFault: false,
    });
  });

  it('marks CONCURRENT_TRANSACTIONS as expected, so it is not a warning', () => {
    expect(classifyFailure(protocol('CONCURRENT_TRANSACTIONS', true), 'kafka')).toMatchObject({
      expected: true,
      recordAtFault: false,
    });
  });

  it('blames the records for a transform error unless it says a retry helps', () => {
    expect(
      classifyFailure(new RangeError('Maximum call stack size exceeded'), 'transform').recordAtFault,
    ).toBe(true);
    const down = Object.assign(new Error('registry down'), { code: 'REGISTRY_UNAVAILABLE', retriable: true });
    expect(classifyFailure(down, 'transform')).toMatchObject({
      code: 'REGISTRY_UNAVAILABLE',
      recordAtFault: false,
    });
  });
});
