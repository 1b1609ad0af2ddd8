/**
 * Presence per user: the engine's members are connections; here they are grouped by their
 * verified `user` (connections without one stay members of their own), so several tabs of one user
 * are one member. A user joins with its first connection and leaves when its last one goes and none
 * came back within the grace period, so a page reload or a reconnect does not flap leave/join.
 * One view serves every watch of a topic that groups the same way (presence-view.ts).
 */
import type { PresenceEvent, PresenceMember } from './engine.js';

interface UserEntry {
  /** The member as watchers see it: `id` is the user (or the lone connection's id). */
  member: PresenceMember;
  connections: Set<string>;
  leaveTimer: ReturnType<typeof setTimeout> | undefined;
}

/** What a per-user member carries besides a connection member's fields (per connection: nothing). */
export type UserMember = PresenceMember & { connections?: string[] };

export class UserPresenceView {
  readonly #users = new Map<string, UserEntry>();
  /** Which user each connection counts for. */
  readonly #userOf = new Map<string, string>();
  readonly #graceMs: number;
  readonly #byConnection: boolean;
  readonly #emit: (event: PresenceEvent) => void;
  /** Leave-grace timers running now. */
  #timers = 0;

  /**
   * `byConnection`: every connection is a member of its own (its `user` is not looked at) and
   * leaves at once; what a count watch by connection counts.
   */
  constructor(graceMs: number, emit: (event: PresenceEvent) => void, byConnection = false) {
    this.#graceMs = byConnection ? 0 : graceMs;
    this.#byConnection = byConnection;
    this.#emit = emit;
  }

  /** Adds the engine's members (told to nobody: they are the snapshot). */
  seed(members: readonly PresenceMember[]): void {
    for (const member of members) this.#add(member);
  }

  /**
   * The users, in the order they joined: a user in its leave grace is still one (with no
   * connection), as every watcher of the view was told no leave of it yet.
   */
  members(): UserMember[] {
    return [...this.#users.values()].map((entry) => this.#shown(entry));
  }

  /** How many users are members now (a user in its leave grace still is). */
  get size(): number {
    return this.#users.size;
  }

  /** Connections counted (one entry each), for the router's stats. */
  get connections(): number {
    return this.#userOf.size;
  }

  /** Leave-grace timers running, for the router's stats. */
  get graceTimers(): number {
    return this.#timers;
  }

  /** A connection-level join or leave, turned into user-level ones (now, or after the grace). */
  apply(event: PresenceEvent): void {
    if (event.type === 'join') {
      const entry = this.#add(event.member);
      if (entry !== undefined) this.#emit({ type: 'join', topic: event.topic, member: this.#shown(entry) });
      return;
    }
    this.#leave(event.topic, event.member.id, event.reason);
  }

  /**
   * Makes the connections counted exactly the engine's `members` (read again after a presence gap:
   * events were lost): a member not counted joins, then a connection counted that is not among them
   * leaves with `reason`. Users are told as for any event: a user joins with its first connection,
   * and leaves after the grace when its last one went (joins first, so a user that only changed
   * connections neither leaves nor joins).
   */
  reconcile(topic: string, members: readonly PresenceMember[], reason: string): void {
    const present = new Set<string>();
    for (const member of members) {
      present.add(member.id);
      if (!this.#userOf.has(member.id)) this.apply({ type: 'join', topic, member });
    }
    for (const id of [...this.#userOf.keys()]) if (!present.has(id)) this.#leave(topic, id, reason);
  }

  /** A connection leaves: its user leaves with its last connection (after the grace). */
  #leave(topic: string, connection: string, reason: string): void {
    const key = this.#userOf.get(connection);
    const entry = key === undefined ? undefined : this.#users.get(key);
    if (key === undefined || entry === undefined) return;
    this.#userOf.delete(connection);
    entry.connections.delete(connection);
    if (entry.connections.size > 0) return;
    const leave = (): void => {
      if (entry.leaveTimer !== undefined) this.#timers--;
      entry.leaveTimer = undefined;
      if (entry.connections.size > 0 || this.#users.get(key) !== entry) return;
      this.#users.delete(key);
      this.#emit({ type: 'leave', topic, member: this.#shown(entry), reason });
    };
    if (this.#graceMs <= 0) leave();
    else {
      entry.leaveTimer = setTimeout(leave, this.#graceMs);
      this.#timers++;
    }
  }

  /** The view is dropped: pending leaves are too. */
  close(): void {
    for (const entry of this.#users.values()) clearTimeout(entry.leaveTimer);
    this.#timers = 0;
    this.#users.clear();
    this.#userOf.clear();
  }

  /** Counts a connection for its user; returns the entry when the user is new (a join to tell). */
  #add(member: PresenceMember): UserEntry | undefined {
    if (this.#userOf.has(member.id)) return undefined;
    const key = this.#byConnection ? member.id : (member.user ?? member.id);
    this.#userOf.set(member.id, key);
    const entry = this.#users.get(key);
    if (entry !== undefined) {
      entry.connections.add(member.id);
      // Back within the grace: no leave, no join.
      if (entry.leaveTimer !== undefined) {
        clearTimeout(entry.leaveTimer);
        entry.leaveTimer = undefined;
        this.#timers--;
      }
      return undefined;
    }
    const created: UserEntry = { member: { ...member, id: key }, connections: new Set([member.id]), leaveTimer: undefined };
    this.#users.set(key, created);
    return created;
  }

  /** The member as watchers see it: per connection, the connection's member as the engine has it. */
  #shown(entry: UserEntry): UserMember {
    if (this.#byConnection) return entry.member;
    return { ...entry.member, connections: [...entry.connections] };
  }
}
