import type { DestinationDriverOptions } from '../driver-options.js';
import { ErrorCode, LifecycleError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Counters } from '../stats.js';
import { DiskQueue } from './disk-queue.js';
import { MemoryQueue, type MessageQueue } from './message-queue.js';
import type { PlannedComponent } from './validate-config.js';

/**
 * The queue of a destination being built. At a reload, the running queue
 * when it fits the new config (a memory queue, or a disk buffer in the same
 * directory); otherwise a new memory queue or a disk buffer, opened here —
 * before the destination's `init()`, so that a buffer that cannot be opened
 * fails the start with an error naming the destination.
 * @throws LifecycleError ERR_INIT_FAILED when the disk buffer cannot be opened.
 */
export function queueFor(
  c: PlannedComponent<DestinationDriverOptions>,
  running: MessageQueue | undefined,
  counters: Counters,
  logger: Logger,
): MessageQueue {
  const db = c.diskBuffer;
  if (running !== undefined && !running.persistent && db === undefined) return running;
  if (running instanceof DiskQueue && running.options.dir === db?.dir) {
    const o = running.options;
    if (
      o.maxBytes !== db.maxBytes ||
      o.reliable !== db.reliable ||
      o.segmentBytes !== db.segmentBytes ||
      o.memoryMessages !== db.memoryMessages
    ) {
      logger.warn(`diskBuffer options other than dir take effect at the next start`);
    }
    running.counters = counters;
    return running;
  }
  if (db === undefined) return new MemoryQueue();
  try {
    return DiskQueue.open({ ...db, logger, counters });
  } catch (err) {
    throw new LifecycleError(
      `destination "${c.name}" (${c.persistName}): ${(err as Error).message}`,
      {
        cause: err,
        code: ErrorCode.INIT_FAILED,
      },
    );
  }
}

/**
 * At a reload, a running queue that the new config does not use (see
 * {@link queueFor}): a memory queue's messages move to the new queue (a disk
 * buffer takes over their acks); a disk buffer is closed and keeps its
 * messages for whoever opens its directory next.
 */
export async function retireQueue(
  old: MessageQueue,
  next: MessageQueue,
  log: Logger,
): Promise<void> {
  if (!old.persistent) {
    old.drainAll((m) => next.push(m));
    return;
  }
  const left = old.length + old.backlog;
  try {
    await old.close();
  } catch (err) {
    log.error('closing the disk buffer that the new config no longer uses failed', err);
  }
  if (left > 0) {
    log.warn(
      `${left} messages stay in the disk buffer ${(old as DiskQueue).options.dir}, which the new config does not use; a destination with that diskBuffer.dir sends them`,
    );
  }
}
