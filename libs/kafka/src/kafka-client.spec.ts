// First: the client module installs its kafkajs patches before kafkajs loads.
import {
  coordinatorRetry,
  createKafka,
  kafkajsOf,
  withProducerDefaults,
  type KafkaLogger,
} from './kafka-client';
import { Partitioners } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';

const CONCURRENT_TRANSACTIONS =
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

function recorder() {
  const lines: { level: string; message: string; fields: object }[] = [];
  const at =
    (level: string) =>
    (fields: object, message: string): void =>
      void lines.push({ level, message, fields });
  const logger: KafkaLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

const LOCAL = { brokers: ['127.0.0.1:1'], clientId: 'tablelane' };

describe('createKafka', () => {
  it('builds idempotent and transactional producers without the EoS or partitioner warning', () => {
    const { lines, logger } = recorder();
    const kafka = kafkajsOf(createKafka(LOCAL, 'spec', logger));
    kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    kafka.producer({ transactionalId: 'spec.tx', idempotent: true, maxInFlightRequests: 1 });
    kafka.producer();
    expect(lines).toEqual([]);
  });

  it('still lets kafkajs warn for a producer that limits its retries itself', () => {
    const { lines, logger } = recorder();
    kafkajsOf(createKafka(LOCAL, 'spec', logger)).producer({
      idempotent: true,
      retry: { retries: 5 },
    });
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'],
    ]);
  });

  it('logs a coordinator refusal kafkajs retries at debug and reports it', () => {
    const { lines, logger } = recorder();
    const onCoordinatorRetry = vi.fn();
    const kafka = kafkajsOf(createKafka(LOCAL, 'spec', logger, { onCoordinatorRetry }));
    const connection = kafka.logger().namespace('Connection');
    connection.error('Response AddPartitionsToTxn(key: 24, version: 1)', { error: CONCURRENT_TRANSACTIONS });
    connection.error('Response Produce(key: 0, version: 7)', { error: 'The request timed out' });
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['debug', 'Response AddPartitionsToTxn(key: 24, version: 1)'],
      ['error', 'Response Produce(key: 0, version: 7)'],
    ]);
    expect(onCoordinatorRetry.mock.calls).toEqual([['CONCURRENT_TRANSACTIONS']]);
  });
});

describe('withProducerDefaults', () => {
  it('gives idempotent producers unbounded send retries unless they choose their own', () => {
    expect(withProducerDefaults({ idempotent: true }).retry).toEqual({ retries: Number.MAX_SAFE_INTEGER });
    expect(withProducerDefaults({ transactionalId: 't', retry: { maxRetryTime: 10_000 } }).retry).toEqual({
      maxRetryTime: 10_000,
      retries: Number.MAX_SAFE_INTEGER,
    });
    expect(withProducerDefaults({ idempotent: true, retry: { retries: 3 } }).retry).toEqual({ retries: 3 });
    expect(withProducerDefaults({}).retry).toBeUndefined();
  });

  it("names kafkajs's default partitioner unless another is given", () => {
    expect(withProducerDefaults().createPartitioner).toBe(Partitioners.DefaultPartitioner);
    const legacy = Partitioners.LegacyPartitioner;
    expect(withProducerDefaults({ createPartitioner: legacy }).createPartitioner).toBe(legacy);
  });
});

describe('coordinatorRetry', () => {
  it('matches only a connection response carrying a retried coordinator error', () => {
    const log = (message: string, error: string) => ({ message, error, timestamp: '', logger: 'kafkajs' });
    expect(
      coordinatorRetry({
        namespace: 'Connection',
        log: log('Response EndTxn(key: 26, version: 1)', CONCURRENT_TRANSACTIONS),
      }),
    ).toBe('CONCURRENT_TRANSACTIONS');
    expect(
      coordinatorRetry({ namespace: 'Producer', log: log('Response X', CONCURRENT_TRANSACTIONS) }),
    ).toBeUndefined();
    expect(
      coordinatorRetry({ namespace: 'Connection', log: log('Response X', 'Connection timeout') }),
    ).toBeUndefined();
  });
});
