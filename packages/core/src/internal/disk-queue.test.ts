import { spawnSync } from 'node:child_process';
import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS_DELIVERED } from '../ack-tracker.js';
import { ErrorCode } from '../errors.js';
import { LogMessage, type AckOwner } from '../log-message.js';
import { Counters } from '../stats.js';
import { DiskQueue } from './disk-queue.js';
import { settle } from './settle.js';
import { LogCapture, until } from './test-helpers.js';

class Owner implements AckOwner {
  readonly done: string[] = [];
  complete(msg: LogMessage): void {
    this.done.push(msg.getAsString('MESSAGE')!);
  }
}

const open: DiskQueue[] = [];
let log = new LogCapture();
let counters = new Counters('destination', 'out', 'out');

afterEach(async () => {
  for (const q of open.splice(0)) await q.close();
  log = new LogCapture();
  counters = new Counters('destination', 'out', 'out');
});

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'logpath-dq-'));
}

function openQueue(dir: string, o: Partial<Parameters<typeof DiskQueue.open>[0]> = {}): DiskQueue {
  const q = DiskQueue.open({
    dir,
    maxBytes: 1 << 30,
    reliable: true,
    segmentBytes: 1 << 20,
    memoryMessages: 10_000,
    logger: {
      error: (m) => log.sink({ time: 0, level: 'error', component: 'q', message: m }),
      warn: (m) => log.sink({ time: 0, level: 'warn', component: 'q', message: m }),
      info: (m) => log.sink({ time: 0, level: 'info', component: 'q', message: m }),
      debug: () => {},
    },
    counters,
    ...o,
  });
  open.push(q);
  return q;
}

async function reopen(
  q: DiskQueue,
  o: Partial<Parameters<typeof DiskQueue.open>[0]> = {},
): Promise<DiskQueue> {
  await q.close();
  return openQueue(q.options.dir, o);
}

/** A message owned by `owner`, as a source driver would post it. */
function owned(owner: Owner, text: string): LogMessage {
  const m = new LogMessage(text);
  m._owner = owner;
  m._pending = 1;
  return m;
}

function pushAll(q: DiskQueue, owner: Owner, texts: string[]): LogMessage[] {
  return texts.map((t) => {
    const m = owned(owner, t);
    q.push(m);
    return m;
  });
}

function popAll(q: DiskQueue): string[] {
  const out: string[] = [];
  for (let m = q.pop(); m !== undefined; m = q.pop()) out.push(m.getAsString('MESSAGE')!);
  return out;
}

const texts = (n: number, from = 1): string[] =>
  Array.from({ length: n }, (_, i) => `m${from + i}`);
const segments = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith('seg-'))
    .sort();

describe('DiskQueue', () => {
  it('hands out detached copies in order and keeps every field', async () => {
    const q = openQueue(await tempDir());
    const owner = new Owner();
    const sent = texts(3).map((t) => owned(owner, t));
    sent[1]!.set('n', 7n).set('when', new Date(5)).setPri(3);
    for (const m of sent) q.push(m);
    const m1 = q.pop()!;
    expect(m1).not.toBe(sent[0]);
    expect(m1._owner).toBeUndefined();
    expect(q.length).toBe(2);
    expect(q.backlog).toBe(1);
    settle(m1, STATUS_DELIVERED); // the driver's settle on the copy must not reach the source
    await until(() => expect(owner.done).toEqual(['m1', 'm2', 'm3']));
    expect(popAll(q)).toEqual(['m2', 'm3']);
    const back = await reopen(q);
    const m2 = [back.pop(), back.pop()][1]!;
    expect(m2.get('n')).toBe(7n);
    expect(m2.get('when')).toEqual(new Date(5));
    expect(m2.getPri()).toBe(3);
  });

  it('reliable: settles the originals only after the write, all pushes of a turn together', async () => {
    const q = openQueue(await tempDir());
    const owner = new Owner();
    pushAll(q, owner, texts(500));
    expect(owner.done).toEqual([]); // not before the group commit
    await until(() => expect(owner.done.length).toBeGreaterThan(0));
    expect(owner.done).toEqual(texts(500)); // one commit for the whole turn
    const [seg] = segments(q.options.dir);
    expect(statSync(join(q.options.dir, seg!)).size).toBe(q.bytes);
  });

  it('unreliable: settles the originals at once and writes later', async () => {
    const q = openQueue(await tempDir(), { reliable: false });
    const owner = new Owner();
    pushAll(q, owner, texts(3));
    expect(owner.done).toEqual(['m1', 'm2', 'm3']);
    expect(segments(q.options.dir)).toEqual([]); // nothing written yet
    await until(() => expect(segments(q.options.dir)).toHaveLength(1));
    expect(popAll(await reopen(q))).toEqual(texts(3));
  });

  it('rewinds the backlog and acknowledges it', async () => {
    const q = openQueue(await tempDir());
    pushAll(q, new Owner(), texts(6));
    expect([q.pop(), q.pop(), q.pop()].map((m) => m!.getAsString('MESSAGE'))).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
    q.rewind();
    expect(q.backlog).toBe(0);
    expect(q.length).toBe(6);
    q.pop();
    q.pop();
    const seen: string[] = [];
    q.ackBacklog((m) => seen.push(m.getAsString('MESSAGE')!));
    expect(seen).toEqual(['m1', 'm2']);
    expect(q.length).toBe(4);
    q.pop();
    q.rewind();
    expect(popAll(q)).toEqual(['m3', 'm4', 'm5', 'm6']);
  });

  it('keeps only memoryMessages in memory and reads the rest back from the files, in order', async () => {
    const q = openQueue(await tempDir(), { memoryMessages: 10 });
    const sent = texts(100).map((t, i) => owned(new Owner(), t).set('obj', { i }));
    for (const m of sent) q.push(m);
    expect(q.length).toBe(100);
    const got: LogMessage[] = [];
    for (let m = q.pop(); m !== undefined; m = q.pop()) {
      got.push(m);
      if (got.length % 7 === 0) q.ackBacklog(() => {});
    }
    expect(got.map((m) => m.getAsString('MESSAGE'))).toEqual(texts(100));
    // A copy shares the original's values; a message read back from a file has its own.
    expect(got[0]!.get('obj')).toBe(sent[0]!.get('obj'));
    expect(got[50]!.get('obj')).not.toBe(sent[50]!.get('obj'));
    expect(got[50]!.get('obj')).toEqual({ i: 50 });
  });

  it('rolls segments over and deletes the ones fully delivered', async () => {
    const q = openQueue(await tempDir(), { segmentBytes: 2048 });
    pushAll(q, new Owner(), texts(300));
    await until(() => expect(segments(q.options.dir).length).toBeGreaterThan(5));
    const before = q.bytes;
    expect(popAll(q)).toHaveLength(300);
    q.ackBacklog(() => {});
    expect(q.bytes).toBeLessThan(before);
    await until(() => expect(segments(q.options.dir)).toHaveLength(1)); // only the one being written
    expect(q.length).toBe(0);
    const back = await reopen(q);
    expect(back.length).toBe(0);
  });

  it('continues from the saved position after a restart, oldest first', async () => {
    const q = openQueue(await tempDir(), { segmentBytes: 1024, memoryMessages: 5 });
    pushAll(q, new Owner(), texts(50));
    for (let i = 0; i < 20; i++) q.pop();
    q.ackBacklog(() => {});
    q.pop(); // popped but not acknowledged: sent again
    await until(() =>
      expect(readFileSync(join(q.options.dir, 'state.json'), 'utf8')).toMatch(/offset/),
    );
    const back = await reopen(q);
    expect(log.find('30 messages from the previous run')).toHaveLength(1);
    expect(back.length).toBe(30);
    pushAll(back, new Owner(), ['new']);
    expect(popAll(back)).toEqual([...texts(30, 21), 'new']);
  });

  it('skips a torn tail record: logged, counted, never an error', async () => {
    const q = openQueue(await tempDir());
    pushAll(q, new Owner(), texts(10));
    await q.close();
    const [seg] = segments(q.options.dir);
    const file = join(q.options.dir, seg!);
    truncateSync(file, statSync(file).size - 5);
    const back = openQueue(q.options.dir);
    expect(back.length).toBe(9);
    expect(back.damagedRecords).toBe(1);
    expect(counters.dropped.error).toBe(1);
    expect(log.find(/skipped 1 damaged record/, 'warn')).toHaveLength(1);
    expect(popAll(back)).toEqual(texts(9));
    back.ackBacklog(() => {});
    await back.close();
    // The position moved past the segment, so its torn tail is never scanned (and reported) again.
    const pos = JSON.parse(readFileSync(join(q.options.dir, 'state.json'), 'utf8')) as {
      segment: number;
    };
    expect(pos.segment).toBeGreaterThan(Number(/\d+/.exec(seg!)![0]));
    const again = openQueue(q.options.dir);
    expect(again.length).toBe(0);
    expect(log.find(/damaged/)).toHaveLength(1);
  });

  it.each([
    ['a payload byte', 20],
    ['a length byte', 0],
    ['a checksum byte', 5],
  ])('skips a record with a flipped %s and keeps the ones after it', async (_what, at) => {
    const q = openQueue(await tempDir());
    pushAll(q, new Owner(), texts(10));
    await q.close();
    const file = join(q.options.dir, segments(q.options.dir)[0]!);
    const bytes = readFileSync(file);
    const recordSize = bytes.length / 10; // same-sized records: m1…m9 and m10 differ by one byte
    const start = 4 * Math.floor(recordSize);
    expect(bytes.readUInt32LE(start) + 8).toBe(Math.floor(recordSize)); // a record starts here
    bytes[start + at]! ^= 0x41;
    writeFileSync(file, bytes);
    const back = openQueue(q.options.dir);
    expect(popAll(back)).toEqual(texts(10).filter((t) => t !== 'm5'));
    expect(back.damagedRecords).toBe(1);
    expect(counters.dropped.error).toBe(1);
    expect(log.find(/skipped 1 damaged record/, 'warn')).toHaveLength(1);
  });

  it('opens over garbage, zeros and stray files without crashing', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'seg-000000000001.log'), Buffer.alloc(4096));
    writeFileSync(join(dir, 'seg-000000000002.log'), Buffer.from('x'.repeat(3000)));
    writeFileSync(join(dir, 'notes.txt'), 'not a segment');
    const q = openQueue(dir);
    expect(q.length).toBe(0);
    expect(q.damagedRecords).toBe(2);
    expect(segments(dir)).toEqual([]); // nothing readable in them: deleted
    pushAll(q, new Owner(), ['after']);
    expect(popAll(q)).toEqual(['after']);
  });

  it('fails to open with a clear error when the position file is corrupt', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'state.json'), '{"segment": "x"');
    expect(() => openQueue(dir)).toThrow(
      expect.objectContaining({
        code: ErrorCode.PERSIST,
        message: expect.stringContaining(dir) as string,
      }),
    );
  });

  it('is full at maxBytes and frees space when segments are delivered', async () => {
    const q = openQueue(await tempDir(), { maxBytes: 4096 });
    expect(q.isFull(1)).toBe(false); // logFifoSize does not apply
    let n = 0;
    while (!q.isFull(10_000)) pushAll(q, new Owner(), [`m${++n}`]);
    expect(q.bytes).toBeGreaterThanOrEqual(4096);
    expect(n).toBeGreaterThan(50);
    popAll(q);
    q.ackBacklog(() => {});
    expect(q.isFull(10_000)).toBe(false);
  });

  it('drainAll visits the messages in memory and gives up the files', async () => {
    const q = openQueue(await tempDir(), { memoryMessages: 3 });
    pushAll(q, new Owner(), texts(10));
    q.pop();
    const seen: string[] = [];
    q.drainAll((m) => seen.push(m.getAsString('MESSAGE')!));
    expect(seen).toEqual(['m1', 'm2', 'm3']);
    expect(q.length + q.backlog).toBe(0);
    expect((await reopen(q)).length).toBe(0);
  });

  it('closes idempotently, settling what was pending, and refuses pushes afterwards', async () => {
    const q = openQueue(await tempDir());
    const owner = new Owner();
    pushAll(q, owner, texts(4));
    await Promise.all([q.close(), q.close()]);
    expect(owner.done).toEqual(texts(4));
    expect(() => q.push(new LogMessage('late'))).toThrow(/closed/);
    expect(existsSync(join(q.options.dir, 'lock'))).toBe(false);
  });

  it('keeps one open buffer per directory', async () => {
    const dir = await tempDir();
    openQueue(dir);
    expect(() => openQueue(dir)).toThrow(/already in use/);
    const other = await tempDir();
    writeFileSync(join(other, 'lock'), String(process.ppid)); // a live process holds it
    expect(() => openQueue(other)).toThrow(new RegExp(`in use by process ${process.ppid}`));
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(other, 'lock'), String(gone)); // a lock left by a dead process is taken over
    expect(openQueue(other).length).toBe(0);
  });
});
