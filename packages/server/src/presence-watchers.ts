/**
 * Who watches which topic's presence, on this router. A watch gets the members as the engine has
 * them, then every join and leave in order; events that arrive while the snapshot is on its way are
 * held and sent right after it, so a watcher never sees an event before its snapshot. Every watch
 * reads a view shared by the topic's watches that group the same way (presence-view.ts): per user
 * (with its leave grace), or per connection (member watches by connection and count watches): the
 * router holds one per (topic, grouping), whatever the number of watchers. After a presence gap
 * (events lost), each view is repaired from one read of the topic's members (presence-repair.ts),
 * retried with backoff while it fails; a watch of a view waiting for its repair waits for it.
 */
import { type MemberWire, encodeFrame } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { PresenceEvent, PresenceMember } from './engine.js';
import type { Frames } from './frames.js';
import type { Logger } from './logger.js';
import { CountWatch } from './presence-count-watch.js';
import { PresenceRepairs, type ReadMembers } from './presence-repair.js';
import { PresenceView, type ViewKey } from './presence-view.js';

/** Most bytes (estimated) and members in one page of a presence snapshot. */
const PAGE_BYTES = 64 * 1024;
const PAGE_MEMBERS = 1000;
/** The JSON around one member in a page: keys, quotes, `connectedAt`. */
const PAGE_MEMBER_OVERHEAD = 64;

/** A watch in progress or in place. */
export interface Watch {
  readonly connection: Connection;
  readonly topic: string;
  /**
   * The view's events (user-level, or per connection) that came before the snapshot was sent;
   * undefined once it was (held from the moment its snapshot is taken of the view).
   */
  pending: PresenceEvent[] | undefined;
  /** The shared view it reads. */
  readonly view: PresenceView<Watch>;
  /** For a count-only watch (`presence_watch.count`): the count and its coalesced updates. */
  counter: CountWatch | undefined;
}

/** What the shared presence views hold, for `router.stats().presenceViews`. */
export interface PresenceViewStats {
  /**
   * Views: one per watched topic and grouping (per user, or per connection for watches by
   * connection and count watches).
   */
  views: number;
  /** Members listed by the views (a user in its leave grace counts). */
  members: number;
  /** Connections counted by the views. */
  connections: number;
  /** Leave-grace timers running. */
  graceTimers: number;
}

export class PresenceWatchers {
  readonly #byTopic = new Map<string, Map<string, Watch>>();
  /** The shared views, by topic: one per grouping. */
  readonly #views = new Map<string, Set<PresenceView<Watch>>>();
  readonly #frames: Frames;
  readonly #countIntervalMs: number;
  readonly #repairs: PresenceRepairs<Watch>;

  /**
   * `read`: the engine's members of a topic, for the repairs after a presence gap. `live`: whether
   * the engine reports itself available (a failed repair is retried only then).
   */
  constructor(frames: Frames, countIntervalMs: number, read: ReadMembers, logger: Logger, live: () => boolean = () => true) {
    this.#frames = frames;
    this.#countIntervalMs = countIntervalMs;
    this.#repairs = new PresenceRepairs((topic) => this.#views.get(topic) ?? [], read, logger, live);
  }

  /**
   * Starts a watch (replacing the connection's watch of the topic, if any): events for the topic
   * are held for it until `snapshot`. `countOnly`: the watcher gets the count, not the members.
   */
  start(connection: Connection, topic: string, byUser: { graceMs: number } | undefined, countOnly = false): Watch {
    let watches = this.#byTopic.get(topic);
    if (watches === undefined) this.#byTopic.set(topic, (watches = new Map()));
    const view = this.#viewOf(topic, byUser !== undefined ? byUser.graceMs : 'connection');
    const watch: Watch = { connection, topic, pending: [], view, counter: undefined };
    view.holders.add(watch);
    if (countOnly) watch.counter = new CountWatch(connection, topic, () => view.size, this.#countIntervalMs);
    const replaced = watches.get(connection.id);
    watches.set(connection.id, watch);
    // After the new watch holds its view: a view both read lives on, users in their grace with it.
    this.#end(replaced);
    if (connection.watching.size === 0) connection.watching = new Set();
    connection.watching.add(topic);
    return watch;
  }

  /**
   * Sends the snapshot, then the events held meanwhile; nothing if the watch ended meanwhile. A
   * large snapshot goes in pages (`more: true` on all but the last), each waiting for the socket
   * when half the outbound limit is queued, so that watching a big topic never cuts the watcher
   * as a slow consumer (issue #12: 2,100 members of 4 KB made one 8.4 MB frame). `members` are the
   * engine's, read after `start`: they seed the watch's view unless another watch seeded it first
   * (the view, fed every event since, is then the snapshot).
   */
  async snapshot(watch: Watch, id: number, members: PresenceMember[]): Promise<void> {
    const { connection, topic, view } = watch;
    const current = (): boolean => this.#byTopic.get(topic)?.get(connection.id) === watch;
    if (!current()) return; // unwatched or closed meanwhile
    let shown: PresenceMember[] = [];
    const take = (): void => {
      shown = this.#take(watch, id, view);
    };
    if (view.seeded) take();
    else {
      view.seed(members, take); // the events held by the view reach this watch after its snapshot
      if (view.stale) {
        // A presence gap came while `members` were read: they may miss what was lost.
        view.stale = false;
        void this.#repairs.repair(topic);
      }
    }
    if (watch.counter !== undefined) return;
    await this.#sendMembers(watch, id, shown, current);
    if (!current()) return;
    const held = watch.pending ?? [];
    watch.pending = undefined;
    for (const event of held) connection.sendMessage(this.#frames.presence(event, connection.codec));
  }

  /**
   * The watch takes its snapshot of the view and receives its events from now on: a count watch
   * gets its `presence_state` at once; a member watch gets the members to send, and holds the
   * events until they are sent.
   */
  #take(watch: Watch, id: number, view: PresenceView<Watch>): PresenceMember[] {
    view.receivers.add(watch);
    if (watch.counter !== undefined) {
      watch.pending = undefined;
      watch.connection.sendMessage({ type: 'presence_state', id, topic: watch.topic, members: [], count: watch.counter.start() });
      return [];
    }
    watch.pending = [];
    return view.members();
  }

  /** The members, in pages (see `snapshot`). */
  async #sendMembers(watch: Watch, id: number, shown: PresenceMember[], current: () => boolean): Promise<void> {
    const { connection, topic } = watch;
    const count = shown.length;
    let page: MemberWire[] = [];
    let bytes = 0;
    for (let i = 0; i <= shown.length; i++) {
      const member = shown[i];
      const wire = member === undefined ? undefined : this.#frames.member(member, connection.codec);
      const size = wire === undefined ? 0 : PAGE_MEMBER_OVERHEAD + wire.name.length + wire.id.length + (wire.info?.length ?? 0);
      if (wire === undefined || (page.length > 0 && (bytes + size > PAGE_BYTES || page.length >= PAGE_MEMBERS))) {
        const paged = wire !== undefined || i > page.length; // not the whole snapshot in one page
        const frame = encodeFrame({ type: 'presence_state', id, topic, members: page, ...(paged && { count }), ...(wire !== undefined && { more: true }) });
        if (connection.bufferedAmount > connection.maxBufferedBytes / 2) await connection.sendAndFlush(frame);
        else connection.send(frame);
        if (!current()) return;
        page = [];
        bytes = 0;
      }
      if (wire !== undefined) {
        page.push(wire);
        bytes += size;
      }
    }
  }

  remove(connection: Connection, topic: string): void {
    connection.watching.delete(topic);
    const watches = this.#byTopic.get(topic);
    const watch = watches?.get(connection.id);
    watches?.delete(connection.id);
    if (watches?.size === 0) this.#byTopic.delete(topic);
    this.#end(watch);
  }

  removeAll(connection: Connection): void {
    for (const topic of [...connection.watching]) this.remove(connection, topic);
  }

  /** A join or leave: fed once to each view of the topic, which tells its watches what it makes of it. */
  publish(event: PresenceEvent): void {
    const views = this.#views.get(event.topic);
    if (views !== undefined) for (const view of views) view.apply(event);
  }

  /** What the views hold now. */
  viewStats(): PresenceViewStats {
    const stats: PresenceViewStats = { views: 0, members: 0, connections: 0, graceTimers: 0 };
    for (const views of this.#views.values()) {
      for (const view of views) {
        stats.views++;
        stats.members += view.size;
        stats.connections += view.connections;
        stats.graceTimers += view.graceTimers;
      }
    }
    return stats;
  }

  /** A user-level join or leave of a view: to each watch that has its snapshot, one frame per codec. */
  #told(event: PresenceEvent, view: PresenceView<Watch>): void {
    const frames = new Map<string, string | Uint8Array>();
    for (const watch of view.receivers) {
      if (watch.pending !== undefined) watch.pending.push(event);
      else if (watch.counter !== undefined) {
        if (!view.reconciling) watch.counter.changed(); // else once, after the repair
      }
      else this.#sendShared(watch, event, frames);
    }
  }

  #sendShared(watch: Watch, event: PresenceEvent, frames: Map<string, string | Uint8Array>): void {
    const { codec } = watch.connection;
    let frame = frames.get(codec.name);
    if (frame === undefined) frames.set(codec.name, (frame = encodeFrame(this.#frames.presence(event, codec))));
    watch.connection.send(frame);
  }

  /**
   * Presence events may have been lost (the engine's event connection was away, and is back): the
   * members of every watched topic are read again, once per topic, and each view is repaired (its
   * watches told exactly the difference). Resolves when every read answered.
   */
  repair(): Promise<void> {
    const repairs: Promise<void>[] = [];
    for (const topic of this.#views.keys()) repairs.push(this.#repairs.repair(topic));
    return Promise.all(repairs).then(() => undefined);
  }

  /**
   * Resolves once `view` (seeded, waiting for a repair: `needsRepair`) is repaired, so that a new
   * watch of it takes a snapshot that is not out of date; rejects with the read's error when the
   * members cannot be read (see `PresenceRepairs.repaired`).
   */
  repaired(view: PresenceView<Watch>): Promise<void> {
    return this.#repairs.repaired(view);
  }

  #viewOf(topic: string, key: ViewKey): PresenceView<Watch> {
    let views = this.#views.get(topic);
    if (views === undefined) this.#views.set(topic, (views = new Set()));
    for (const view of views) if (view.key === key) return view;
    const view = new PresenceView<Watch>(
      topic,
      key,
      (event, from) => this.#told(event, from),
      (from) => {
        for (const watch of from.receivers) if (watch.pending === undefined) watch.counter?.changed();
      },
    );
    views.add(view);
    return view;
  }

  /** Stops a watch's timers (count updates); the last watch of a view drops it (and its leave graces). */
  #end(watch: Watch | undefined): void {
    if (watch === undefined) return;
    watch.counter?.close();
    const { view } = watch;
    view.holders.delete(watch);
    view.receivers.delete(watch);
    if (view.holders.size > 0) return;
    view.close();
    const views = this.#views.get(view.topic);
    views?.delete(view);
    if (views?.size === 0) {
      this.#views.delete(view.topic);
      this.#repairs.forget(view.topic);
    }
  }
}
