/** An event map: event name → listener signature. */
export type EventMap<E> = { [K in keyof E]: (...args: never[]) => void };

/**
 * A small typed event emitter. A listener that throws does not stop the others or the emitter's
 * owner: the error goes to `listenerFailed`, which subclasses route to their `error` event.
 */
export class Emitter<E extends EventMap<E>> {
  #listeners = new Map<keyof E, Array<{ listener: E[keyof E]; once: boolean }>>();

  /** Adds a listener. Returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: E[K]): () => void {
    return this.#add(event, listener, false);
  }

  /** Adds a listener that is removed after its first call. Returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: E[K]): () => void {
    return this.#add(event, listener, true);
  }

  /** Removes a listener (added with `on` or `once`). */
  off<K extends keyof E>(event: K, listener: E[K]): void {
    const entries = this.#listeners.get(event);
    const index = entries?.findIndex((entry) => entry.listener === listener) ?? -1;
    if (index !== -1) entries!.splice(index, 1);
  }

  /** How many listeners an event has. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const entries = this.#listeners.get(event);
    if (entries === undefined || entries.length === 0) return;
    for (const entry of [...entries]) {
      if (entry.once) {
        const index = entries.indexOf(entry);
        if (index === -1) continue; // removed by an earlier listener
        entries.splice(index, 1);
      }
      try {
        (entry.listener as (...a: Parameters<E[K]>) => void)(...args);
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

  #add<K extends keyof E>(event: K, listener: E[K], once: boolean): () => void {
    let entries = this.#listeners.get(event);
    if (entries === undefined) this.#listeners.set(event, (entries = []));
    // Like EventTarget: a listener already added is not added twice.
    const entry = entries.find((e) => e.listener === listener) ?? { listener, once };
    if (!entries.includes(entry)) entries.push(entry);
    return () => {
      const index = entries.indexOf(entry);
      if (index !== -1) entries.splice(index, 1);
    };
  }
}
