/**
 * Who watches which topic's presence, on this router. A watch gets the members as the engine has
 * them, then every join and leave in order; events that arrive while the snapshot is on its way are
 * held and sent right after it, so a watcher never sees an event before its snapshot. Watches per
 * user and count watches read a view shared by the topic's watches that group the same way
 * (presence-view.ts): the router holds one per (topic, grouping), whatever the number of watchers.
 */
import { type MemberWire, encodeFrame } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { PresenceEvent, PresenceMember } from './engine.js';
import type { Frames } from './frames.js';
import { CountWatch } from './presence-count-watch.js';
import { PresenceView, type ViewKey, replayOver } from './presence-view.js';

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
   * Events that came before the snapshot was sent; undefined once it was. Connection-level for a
   * watch without a view; the view's user-level ones for a watch with one (held from the moment
   * its snapshot is taken of the view).
   */
  pending: PresenceEvent[] | undefined;
  /** For a watch per user or a count watch: the shared view it reads. */
  view: PresenceView<Watch> | undefined;
  /** For a count-only watch (`presence_watch.count`): the count and its coalesced updates. */
  counter: CountWatch | undefined;
}

/** What the shared presence views hold, for `router.stats().presenceViews`. */
export interface PresenceViewStats {
  /**
   * Views: one per watched topic and grouping (per user, or connections for count watches), and
   * after an engine's presence gap (`EngineListener.onPresenceGap`) the retired ones still watched.
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
  /** The shared views, by topic: one per grouping, and the retired ones still watched. */
  readonly #views = new Map<string, Set<PresenceView<Watch>>>();
  readonly #frames: Frames;
  readonly #countIntervalMs: number;

  constructor(frames: Frames, countIntervalMs: number) {
    this.#frames = frames;
    this.#countIntervalMs = countIntervalMs;
  }

  /**
   * Starts a watch (replacing the connection's watch of the topic, if any): events for the topic
   * are held for it until `snapshot`. `countOnly`: the watcher gets the count, not the members.
   */
  start(connection: Connection, topic: string, byUser: { graceMs: number } | undefined, countOnly = false): Watch {
    let watches = this.#byTopic.get(topic);
    if (watches === undefined) this.#byTopic.set(topic, (watches = new Map()));
    const watch: Watch = { connection, topic, pending: [], view: undefined, counter: undefined };
    const key: ViewKey | undefined = byUser !== undefined ? byUser.graceMs : countOnly ? 'connection' : undefined;
    if (key !== undefined) {
      const view = this.#viewOf(topic, key);
      view.holders.add(watch);
      watch.view = view;
      if (countOnly) watch.counter = new CountWatch(connection, topic, () => view.size, this.#countIntervalMs);
    }
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
    if (view === undefined) {
      await this.#sendMembers(watch, id, members, current);
      if (!current()) return;
      const held = watch.pending ?? [];
      watch.pending = undefined;
      replayOver(members, held, (event) => connection.sendMessage(this.#frames.presence(event, connection.codec)));
      return;
    }
    let shown: PresenceMember[] = [];
    const take = (): void => {
      shown = this.#take(watch, id, view);
    };
    if (view.seeded) take();
    else view.seed(members, take); // the events held by the view reach this watch after its snapshot
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

  /**
   * A join or leave: fed once to each view of the topic (which tells its watches what it makes of
   * it), and sent to every watch by connection, one frame per codec.
   */
  publish(event: PresenceEvent): void {
    const views = this.#views.get(event.topic);
    if (views !== undefined) for (const view of views) view.apply(event);
    const watches = this.#byTopic.get(event.topic);
    if (watches === undefined) return;
    const frames = new Map<string, string | Uint8Array>();
    for (const watch of watches.values()) {
      if (watch.view !== undefined) continue;
      if (watch.pending !== undefined) watch.pending.push(event);
      else this.#sendShared(watch, event, frames);
    }
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
      else if (watch.counter !== undefined) watch.counter.changed();
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
   * Presence events may have been lost (the engine's event connection was away): each view is
   * retired, so that the next watch of its topic starts a fresh one from the engine's members
   * instead of sharing what may be out of date. The watches that have a view keep it (as each kept
   * its own view before views were shared).
   */
  retireViews(): void {
    for (const views of this.#views.values()) for (const view of views) view.retired = true;
  }

  #viewOf(topic: string, key: ViewKey): PresenceView<Watch> {
    let views = this.#views.get(topic);
    if (views === undefined) this.#views.set(topic, (views = new Set()));
    for (const view of views) if (view.key === key && !view.retired) return view;
    const view = new PresenceView<Watch>(topic, key, (event, from) => this.#told(event, from));
    views.add(view);
    return view;
  }

  /** Stops a watch's timers (count updates); the last watch of a view drops it (and its leave graces). */
  #end(watch: Watch | undefined): void {
    if (watch === undefined) return;
    watch.counter?.close();
    const { view } = watch;
    if (view === undefined) return;
    view.holders.delete(watch);
    view.receivers.delete(watch);
    if (view.holders.size > 0) return;
    view.close();
    const views = this.#views.get(view.topic);
    views?.delete(view);
    if (views?.size === 0) this.#views.delete(view.topic);
  }
}
