/**
 * Exactly-once publish for the in-memory engine: the stamps of recent publications by `pid`, per
 * topic, so that a publish sent again (a client's offline queue after a dropped connection) gets
 * the original `(epoch, offset)` instead of a second publication. Bounded twice: an entry is
 * forgotten `windowMs` after its publish, and past `maxEntries` the oldest go first (a publish
 * retried after its entry went is published again: documented as outside the window).
 */
import type { Stamp } from './engine.js';

/** The default window: 120 s, NATS JetStream's duplicate window. */
export const DEFAULT_DEDUPE_MS = 120_000;
/** The default cap: 100,000 entries (about 15 MB at most). */
export const DEFAULT_MAX_DEDUPE = 100_000;

interface Entry {
  stamp: Stamp;
  at: number;
}

export class PublishDedupe {
  /** Insertion order is publish order, so the oldest entries are first. */
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly windowMs: number,
    readonly maxEntries: number,
    readonly now: () => number,
  ) {}

  /** The stamp of an earlier publication with this `pid` on `topic`, if still remembered. */
  seen(topic: string, pid: string): Stamp | undefined {
    this.#expire();
    return this.#entries.get(key(topic, pid))?.stamp;
  }

  remember(topic: string, pid: string, stamp: Stamp): void {
    this.#entries.set(key(topic, pid), { stamp, at: this.now() });
    this.#expire();
  }

  get size(): number {
    return this.#entries.size;
  }

  #expire(): void {
    const oldest = this.now() - this.windowMs;
    for (const [k, entry] of this.#entries) {
      if (entry.at > oldest && this.#entries.size <= this.maxEntries) break;
      this.#entries.delete(k);
    }
  }
}

/** Topics cannot contain a NUL: the key is unambiguous. */
function key(topic: string, pid: string): string {
  return `${topic}\0${pid}`;
}
