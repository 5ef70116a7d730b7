/** What {@link Interruptible.race} resolves to when exit was requested first. */
export const ABANDONED: unique symbol = Symbol('abandoned');

/**
 * The waits of one fetcher run, all cut short by the exit signal: a timer, a
 * pending `fetch()`. One abort listener for the whole run, not one per wait,
 * so a long-running fetcher does not pile listeners onto its signal.
 */
export class Interruptible {
  readonly #signal: AbortSignal;
  #wake: ((value: typeof ABANDONED) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Resolves after `ms`, or at once when exit is requested. */
  sleep(ms: number): Promise<void> {
    if (this.#signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(this.#timer);
        resolve();
      };
      this.#wake = wake;
      this.#timer = setTimeout(() => {
        if (this.#wake === wake) this.#wake = undefined;
        resolve();
      }, ms);
    });
  }

  /** Resolves on the next turn of the event loop, after pending I/O and timers had their go. */
  immediate(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Settles like `pending`, or resolves to {@link ABANDONED} as soon as exit is requested. */
  race<T>(pending: PromiseLike<T>): Promise<T | typeof ABANDONED> {
    if (this.#signal.aborted) return Promise.resolve(ABANDONED);
    return new Promise<T | typeof ABANDONED>((resolve, reject) => {
      const wake = (v: typeof ABANDONED): void => resolve(v);
      this.#wake = wake;
      pending.then(
        (v) => {
          if (this.#wake === wake) this.#wake = undefined;
          resolve(v);
        },
        (err: unknown) => {
          if (this.#wake === wake) this.#wake = undefined;
          reject(err as Error);
        },
      );
    });
  }

  /** Stops listening to the signal. */
  dispose(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    clearTimeout(this.#timer);
  }

  readonly #onAbort = (): void => {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.(ABANDONED);
  };
}
