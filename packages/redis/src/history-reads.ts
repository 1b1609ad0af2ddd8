/**
 * History reads, shared. When a router dies, every client it held reconnects to the others at once
 * and recovers the topics it follows from the same positions: 1,667 clients of one topic make 1,667
 * identical HISTORY script calls. Here identical reads of a topic (same mode and argument) that a
 * node makes while an earlier one is in flight or was issued less than `ttlMs` ago share that read:
 * one Redis call, its reply parsed once, every caller's page computed from it.
 *
 * Why a shared read is right for a later caller (exactly once, no gap): a caller reads history only
 * after its subscription is in the engine's index. Take a read issued at I, executed by Redis at X
 * (the script reads offsets and entries atomically), and a caller C that finds it shared at T ≥ its
 * registration. A message published after X is not in the read; it reaches this node on Pub/Sub
 * after X, hence after I. The engine offers a read for sharing only while this node's Pub/Sub feed
 * of the topic is continuous since before I (its exact channel confirmed, Redis available), and
 * drops it as soon as anything of the topic is handed to the router (`invalidate`: a publication,
 * a gap) or the feed may have broken (the channel goes, a connection is lost: `clear`). So if C
 * finds the read, nothing of the topic was handed on between I and T: every message the read lacks
 * is handed on after T, when C is in the index, and C gets it live. What the read holds, C gets
 * from it. Age limits are applied per caller when its page is computed; `ttlMs` bounds what no
 * event announces (a topic idle for an hour leaving Redis's memory).
 *
 * An error of the shared call reaches every caller that waits for it, and the read is not kept.
 * Bounded: at most `maxEntries` reads, `maxBytes` of payload held (a larger read is shared by its
 * callers in flight, never kept).
 */

/** One HISTORY reply, parsed: what every caller's page is computed from. */
export interface SharedRead<T> {
  readonly value: T;
  /** Payload bytes held (for the bound). */
  readonly bytes: number;
}

export interface HistoryReadsOptions {
  /** How long after it was issued a read may still be shared. */
  ttlMs: number;
  /** Reads held at most (the oldest go first). */
  maxEntries: number;
  /** Payload bytes held at most, over every read. */
  maxBytes: number;
}

interface Entry<T> {
  readonly key: string;
  readonly topic: string;
  readonly expiresAt: number;
  readonly promise: Promise<SharedRead<T>>;
  bytes: number;
}

/** Single-flight and short-lived sharing of identical history reads, per topic. */
export class HistoryReads<T> {
  /** Reads offered for sharing, oldest first (expiry order: every read lives `ttlMs`). */
  readonly #entries = new Map<string, Entry<T>>();
  readonly #byTopic = new Map<string, Set<Entry<T>>>();
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Reads made (Redis calls) and reads shared (calls saved). */
  readonly counters = { made: 0, shared: 0 };

  constructor(
    readonly options: HistoryReadsOptions,
    readonly fetch: (topic: string, mode: string, arg: number) => Promise<SharedRead<T>>,
  ) {}

  /** Reads held (in flight or done). */
  get size(): number {
    return this.#entries.size;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The read of `topic` (`mode`, `arg`): a shared one if an identical read is held, else a new one,
   * offered for sharing when `shareable` (the caller's engine vouches for the topic's feed).
   */
  read(topic: string, mode: string, arg: number, shareable: boolean): Promise<SharedRead<T>> {
    this.#expire(Date.now());
    const key = `${mode}\n${arg}\n${topic}`;
    const held = this.#entries.get(key);
    if (held !== undefined) {
      this.counters.shared++;
      return held.promise;
    }
    this.counters.made++;
    const promise = this.fetch(topic, mode, arg);
    if (!shareable || this.options.maxEntries === 0) return promise;
    const entry: Entry<T> = { key, topic, expiresAt: Date.now() + this.options.ttlMs, promise, bytes: 0 };
    if (this.#entries.size >= this.options.maxEntries) this.#remove(this.#entries.values().next().value!);
    this.#entries.set(key, entry);
    let topicEntries = this.#byTopic.get(topic);
    if (topicEntries === undefined) this.#byTopic.set(topic, (topicEntries = new Set()));
    topicEntries.add(entry);
    this.#schedule();
    promise.then(
      (read) => {
        if (this.#entries.get(key) !== entry) return;
        entry.bytes = read.bytes;
        this.#bytes += read.bytes;
        if (this.#bytes > this.options.maxBytes) this.#remove(entry);
      },
      () => this.#remove(entry), // every waiter has the error; the next read asks Redis again
    );
    return promise;
  }

  /** Something of `topic` was handed on (or lost): its reads may lack it, none is shared any more. */
  invalidate(topic: string): void {
    if (this.#byTopic.size === 0) return;
    const entries = this.#byTopic.get(topic);
    if (entries !== undefined) for (const entry of entries) this.#remove(entry);
  }

  /** The feed of every topic may have broken (a connection lost): nothing is shared any more. */
  clear(): void {
    for (const entry of this.#entries.values()) this.#remove(entry);
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #remove(entry: Entry<T>): void {
    if (this.#entries.get(entry.key) !== entry) return;
    this.#entries.delete(entry.key);
    this.#bytes -= entry.bytes;
    const topicEntries = this.#byTopic.get(entry.topic);
    topicEntries?.delete(entry);
    if (topicEntries?.size === 0) this.#byTopic.delete(entry.topic);
  }

  #expire(now: number): void {
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt > now) return;
      this.#remove(entry);
    }
  }

  /** Drops reads as they expire even when no read comes to do it (their memory goes with them). */
  #schedule(): void {
    if (this.#timer !== undefined) return;
    const first = this.#entries.values().next().value;
    if (first === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expire(Date.now());
      this.#schedule();
    }, Math.max(1, first.expiresAt - Date.now()));
    this.#timer.unref?.();
  }
}
