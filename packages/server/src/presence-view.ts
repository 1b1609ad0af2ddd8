/**
 * One view of a topic's presence, shared by every watch of the topic on this router that groups
 * members the same way: per user with one leave grace, or (for count watches) per connection. The
 * view is fed each presence event once and tells each user-level join and leave to all its
 * watches, so W watches of a topic with M users hold M entries and, when the users drop at once,
 * M leave-grace timers, not W×M. It is made with its first watch and dropped with its last.
 */
import type { PresenceEvent, PresenceMember } from './engine.js';
import { type UserMember, UserPresenceView } from './user-presence.js';

/** How a view groups members: per user with this leave grace (ms), or per connection. */
export type ViewKey = number | 'connection';

export class PresenceView<W> {
  readonly topic: string;
  readonly key: ViewKey;
  /** The watches that hold the view: it lives while one does. */
  readonly holders = new Set<W>();
  /** The watches that took their snapshot of it: every later user-level event goes to them. */
  readonly receivers = new Set<W>();
  /**
   * Its last repair after a presence gap failed (the engine's members could not be read): it may be
   * out of date until a repair succeeds (retried with backoff, presence-repair.ts, or read at once
   * for a new watch, which waits for it).
   */
  outdated = false;
  /**
   * A presence gap came while the view waited for its seed: the members it is seeded with may have
   * been read before the gap, so it is repaired once seeded.
   */
  stale = false;
  closed = false;
  readonly #users: UserPresenceView;
  /** Connection-level events held until the engine's members seed the view; undefined once they did. */
  #held: PresenceEvent[] | undefined = [];
  /** Connection-level events held while the engine's members are read again (a repair); undefined otherwise. */
  #repairHeld: PresenceEvent[] | undefined;
  /** The repair whose members the view waits for (a later gap's read supersedes an earlier one). */
  #repair = 0;
  #reconciling = false;
  readonly #recount: (view: PresenceView<W>) => void;

  /**
   * `emit`: a user-level (or per connection) join or leave to tell the watches. `recount`: a repair
   * told its difference (during it, `reconciling` is true): counts are told once, after it.
   */
  constructor(topic: string, key: ViewKey, emit: (event: PresenceEvent, view: PresenceView<W>) => void, recount: (view: PresenceView<W>) => void) {
    this.topic = topic;
    this.key = key;
    this.#recount = recount;
    this.#users = new UserPresenceView(key === 'connection' ? 0 : key, (event) => emit(event, this), key === 'connection');
  }

  /** Whether a repair is telling its difference now (count watches are told once it did). */
  get reconciling(): boolean {
    return this.#reconciling;
  }

  /** Whether the engine's members seeded the view (until then its events are held). */
  get seeded(): boolean {
    return this.#held === undefined;
  }

  /** Whether a repair (after a presence gap) waits for the engine's members now. */
  get repairing(): boolean {
    return this.#repairHeld !== undefined;
  }

  /** Whether the view waits for a repair: one is reading the members, or the last one failed. */
  get needsRepair(): boolean {
    return !this.closed && (this.repairing || this.outdated);
  }

  /**
   * Whether the view is the engine's members as of now, as far as this router can know: seeded,
   * not outdated, no repair waiting for its read, and `engineLive` (the engine reports no outage:
   * while it is away events may be lost, and the presence gap it reports when back repairs the
   * view). A new watch of such a view takes its snapshot of it without reading the engine's
   * members (`onWatch`, subscribe-path.ts).
   */
  current(engineLive: boolean): boolean {
    return engineLive && this.seeded && !this.outdated && !this.closed && !this.repairing;
  }

  /** The users (or connections) in the order they joined; see `UserPresenceView.members`. */
  members(): UserMember[] {
    return this.#users.members();
  }

  get size(): number {
    return this.#users.size;
  }

  get connections(): number {
    return this.#users.connections;
  }

  get graceTimers(): number {
    return this.#users.graceTimers;
  }

  /** A connection-level join or leave of the topic. */
  apply(event: PresenceEvent): void {
    if (this.#held !== undefined) this.#held.push(event);
    else if (this.#repairHeld !== undefined) this.#repairHeld.push(event);
    else this.#users.apply(event);
  }

  /**
   * Presence events may have been lost: the engine's members are about to be read again. From now
   * until `repaired` (or `repairFailed`) with the returned number, events are held. A view not yet
   * seeded is marked `stale` instead (undefined: its seed comes first, then its own repair).
   */
  startRepair(): number | undefined {
    if (!this.seeded) {
      this.stale = true;
      return undefined;
    }
    this.#repairHeld ??= [];
    return ++this.#repair;
  }

  /**
   * The engine's members, read after `startRepair` returned `repair`: the view becomes them, its
   * watches told exactly the difference as joins and leaves (a connection gone leaves with
   * `reason`; a user with its grace), then the events held meanwhile are replayed over them (see
   * `replayOver`: none told twice). Nothing if a later repair started or the view closed.
   */
  repaired(repair: number, members: readonly PresenceMember[], reason: string): void {
    if (this.closed || repair !== this.#repair || this.#repairHeld === undefined) return;
    const held = this.#repairHeld;
    this.#repairHeld = undefined;
    this.outdated = false;
    this.#reconciling = true;
    try {
      this.#users.reconcile(this.topic, members, reason);
    } finally {
      this.#reconciling = false;
    }
    this.#recount(this);
    replayOver(members, held, (event) => this.#users.apply(event));
  }

  /**
   * The members could not be read: the events held are applied, and the view is `outdated` until
   * a later repair succeeds (its watches keep what they have meanwhile).
   */
  repairFailed(repair: number): void {
    if (this.closed || repair !== this.#repair || this.#repairHeld === undefined) return;
    const held = this.#repairHeld;
    this.#repairHeld = undefined;
    this.outdated = true;
    for (const event of held) this.#users.apply(event);
  }

  /**
   * Seeds the view with the engine's members, runs `snapshot` (the seeding watch takes its
   * snapshot there, before anything is told), then replays the events held since the view was made
   * over the members (see `replayOver`): the user-level events they make reach the receivers.
   */
  seed(members: readonly PresenceMember[], snapshot: () => void): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#users.seed(members);
    snapshot();
    replayOver(members, held, (event) => this.#users.apply(event));
  }

  /** The last watch went: the view and its leave-grace timers are dropped. */
  close(): void {
    this.closed = true;
    this.#repairHeld = undefined;
    this.#users.close();
    this.holders.clear();
    this.receivers.clear();
  }
}

/**
 * Replays events held while the engine's `members` were read: with a remote engine (Redis) an
 * event held may already be in the members, so only those that change them are applied (no join
 * twice, no leave of a member that is not there).
 */
export function replayOver(members: readonly PresenceMember[], held: readonly PresenceEvent[], apply: (event: PresenceEvent) => void): void {
  const present = new Set(members.map((m) => m.id));
  for (const event of held) {
    const id = event.member.id;
    if (event.type === 'join' ? present.has(id) : !present.has(id)) continue;
    if (event.type === 'join') present.add(id);
    else present.delete(id);
    apply(event);
  }
}
