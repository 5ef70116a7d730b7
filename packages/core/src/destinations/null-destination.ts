import { LogDestination } from '../log-destination.js';

/**
 * Accepts and discards every message, in batches: the destination for
 * benchmarks and for measuring a source on its own. `count` tells how many
 * messages it received.
 */
export class NullDestination extends LogDestination<Record<string, never>> {
  /** Messages received so far. */
  count = 0;

  override send(): 4 {
    this.count++;
    return this.QUEUED;
  }

  override flush(): 3 {
    return this.SUCCESS;
  }
}
