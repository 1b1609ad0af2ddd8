/**
 * A count-only presence watch (issue #12: "counts are available without the member list, so no
 * watcher is cut for watching"): the watcher gets the number of members in `presence_state`
 * (no members), then `presence_count` frames as it changes. A topic with heavy churn does not
 * flood the watcher: the first change is sent at once, later ones at most once per `intervalMs`
 * (the latest count then, nothing when it came back to the count last sent). What it counts is a
 * view shared by the topic's watches (presence-view.ts): the watch itself holds no member.
 */
import type { Connection } from './connection.js';

export class CountWatch {
  readonly #connection: Connection;
  readonly #topic: string;
  readonly #intervalMs: number;
  /** The count now: the size of the view the watch reads (shared with the topic's other watches). */
  readonly #count: () => number;
  /** The count the watcher has (from the snapshot or the last `presence_count`). */
  #sent = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(connection: Connection, topic: string, count: () => number, intervalMs: number) {
    this.#connection = connection;
    this.#topic = topic;
    this.#count = count;
    this.#intervalMs = intervalMs;
  }

  /** The count for the snapshot's `count`: the watcher has it from now on. */
  start(): number {
    return (this.#sent = this.#count());
  }

  /** The count may have changed (a user-level join or leave of the view). */
  changed(): void {
    if (this.#timer === undefined) this.#flush(); // else the timer sends the latest count
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(): void {
    this.#timer = undefined;
    const count = this.#count();
    if (count === this.#sent) return;
    this.#sent = count;
    this.#connection.sendMessage({ type: 'presence_count', topic: this.#topic, count });
    this.#timer = setTimeout(() => this.#flush(), this.#intervalMs);
  }
}
