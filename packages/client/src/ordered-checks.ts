/**
 * Contract checks that keep call order. A synchronous check settles at once; an asynchronous one
 * (a Standard Schema whose `validate` returns a Promise) makes what comes after it wait: the next
 * calls (or received messages) go on only once every earlier check settled, in order. With
 * synchronous schemas only, nothing ever waits.
 */
import type { Refusal, ValidationError } from '@herald/protocol';

export class OrderedChecks {
  /** The end of the chain while an asynchronous check (or what waits behind it) is pending. */
  #tail: Promise<unknown> | undefined;

  /**
   * Runs `go` once `refusal` (a check's outcome) passed and every earlier check settled, else
   * `refuse`. Synchronous (returns `go()`'s or `refuse()`'s value) when nothing is pending and the
   * check is synchronous; a Promise of it otherwise.
   */
  run<T>(refusal: Refusal, go: () => T, refuse: (error: ValidationError) => T): T | Promise<T> {
    if (this.#tail === undefined && !(refusal instanceof Promise)) return refusal === undefined ? go() : refuse(refusal);
    const previous = this.#tail ?? Promise.resolve();
    const next = previous.then(() => refusal).then((error) => (error === undefined ? go() : refuse(error)));
    const guarded = next.then(
      () => undefined,
      () => undefined,
    );
    this.#tail = guarded;
    void guarded.then(() => {
      if (this.#tail === guarded) this.#tail = undefined;
    });
    return next;
  }
}
