import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartition, murmur2 } from './murmur2.js';

describe('murmur2 / keyPartition', () => {
  it("matches the Java client's murmur2 for known keys", () => {
    // Values from Kafka's UtilsTest (org.apache.kafka.common.utils).
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(
      -58897971,
    );
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it("picks the partition kafkajs' DefaultPartitioner picks, for any key and partition count", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 37);
      const partitionMetadata = Array.from(
        { length: n },
        (_, partitionId) => ({ partitionId, leader: 1 }) as PartitionMetadata,
      );
      const key = i % 2 === 0 ? randomBytes(i % 23).toString('hex') : `user-${i}-ü`;
      expect(keyPartition(key, n)).toBe(
        partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }),
      );
    }
  });
});
