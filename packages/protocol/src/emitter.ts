/** An event map: event name → listener signature. */
export type EventMap<E> = { [K in keyof E]: (...args: never[]) => void };

/**
 * A small typed event emitter. A listener that throws does not stop the others or the emitter's
 * owner: the error goes to `listenerFailed`, which subclasses route to their `error` event.
 */
export class Emitter<E extends EventMap<E>> {
  #listeners = new Map<keyof E, Set<E[keyof E]>>();

  /** Adds a listener. Returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: E[K]): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener that is removed after its first call. Returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: E[K]): () => void {
    const wrapper = ((...args: Parameters<E[K]>) => {
      this.off(event, wrapper);
      (listener as (...a: Parameters<E[K]>) => void)(...args);
    }) as E[K];
    return this.on(event, wrapper);
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: E[K]): void {
    this.#listeners.get(event)?.delete(listener);
  }

  /** How many listeners an event has. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<E[K]>) => void)(...args);
      } catch (error) {
        this.listenerFailed(event, error);
      }
    }
  }

  /** Called when a listener throws. Default: log it. */
  protected listenerFailed(event: keyof E, error: unknown): void {
    console.error(`herald: a listener for "${String(event)}" threw:`, error);
  }

  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
