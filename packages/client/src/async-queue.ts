/**
 * A bounded queue behind an async iterator. Producers push; one consumer pulls with `next()`.
 * Overflow ends the iteration with the error given to `push` (nothing is dropped silently).
 */
export class AsyncQueue<T> implements AsyncIterator<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  readonly #limit: number;
  readonly #onReturn: () => void;
  #ended: { error?: unknown } | undefined;

  constructor(limit: number, onReturn: () => void) {
    this.#limit = limit;
    this.#onReturn = onReturn;
  }

  /** Adds an item; past the limit (unless `force`), ends the queue with `overflow()` instead. */
  push(item: T, overflow: () => unknown, force = false): void {
    if (this.#ended !== undefined) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve({ value: item, done: false });
    else if (force || this.#items.length < this.#limit) this.#items.push(item);
    else this.end(overflow());
  }

  /** Ends the iteration after the buffered items: normally, or with `error`. */
  end(error?: unknown): void {
    if (this.#ended !== undefined) return;
    this.#ended = error === undefined ? {} : { error };
    if (this.#items.length > 0 || this.#waiters.length === 0) return;
    // A consumer is waiting: it takes the error (thrown once); later reads report done.
    this.#ended = {};
    for (const waiter of this.#waiters.splice(0)) {
      if (error === undefined) waiter.resolve({ value: undefined, done: true });
      else waiter.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false });
    if (this.#ended !== undefined) {
      if (this.#ended.error === undefined) return Promise.resolve({ value: undefined, done: true });
      const { error } = this.#ended;
      this.#ended = {}; // throw once, then report done
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.end();
    this.#onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}
