/**
 * A count-only presence watch (issue #12: "counts are available without the member list, so no
 * watcher is cut for watching"): the watcher gets the number of members in `presence_state`
 * (no members), then `presence_count` frames as it changes. A topic with heavy churn does not
 * flood the watcher: the first change is sent at once, later ones at most once per `intervalMs`
 * (the latest count then, nothing when it came back to the count last sent).
 */
import type { Connection } from './connection.js';
import type { PresenceEvent, PresenceMember } from './engine.js';
import { UserPresenceView } from './user-presence.js';

export class CountWatch {
  readonly #connection: Connection;
  readonly #topic: string;
  readonly #intervalMs: number;
  /** Per connection: the members' ids (a set, so that an event told twice counts once). */
  readonly #ids = new Set<string>();
  /** Per user: the users, with their leave grace, as a member watch per user would list them. */
  readonly #view: UserPresenceView | undefined;
  /** The count the watcher has (from the snapshot or the last `presence_count`). */
  #sent = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(connection: Connection, topic: string, byUser: { graceMs: number } | undefined, intervalMs: number) {
    this.#connection = connection;
    this.#topic = topic;
    this.#intervalMs = intervalMs;
    if (byUser !== undefined) this.#view = new UserPresenceView(byUser.graceMs, () => this.#changed());
  }

  get count(): number {
    return this.#view?.size ?? this.#ids.size;
  }

  /** Seeds the count from the engine's members; returns it (the snapshot's `count`). */
  seed(members: readonly PresenceMember[]): number {
    if (this.#view === undefined) for (const member of members) this.#ids.add(member.id);
    else this.#view.snapshot(members);
    return (this.#sent = this.count);
  }

  /** A connection-level join or leave. */
  apply(event: PresenceEvent): void {
    if (this.#view !== undefined) return this.#view.apply(event);
    if (event.type === 'join') this.#ids.add(event.member.id);
    else this.#ids.delete(event.member.id);
    this.#changed();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#view?.close();
  }

  #changed(): void {
    if (this.#timer === undefined) this.#flush(); // else the timer sends the latest count
  }

  #flush(): void {
    this.#timer = undefined;
    const count = this.count;
    if (count === this.#sent) return;
    this.#sent = count;
    this.#connection.sendMessage({ type: 'presence_count', topic: this.#topic, count });
    this.#timer = setTimeout(() => this.#flush(), this.#intervalMs);
  }
}
