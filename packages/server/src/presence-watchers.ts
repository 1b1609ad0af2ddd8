/**
 * Who watches which topic's presence, on this router. A watch gets the members as the engine has
 * them, then every join and leave in order; events that arrive while the snapshot is on its way are
 * held and sent right after it, so a watcher never sees an event before its snapshot.
 */
import { type MemberWire, encodeFrame } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { PresenceEvent, PresenceMember } from './engine.js';
import type { Frames } from './frames.js';
import { CountWatch } from './presence-count-watch.js';
import { UserPresenceView } from './user-presence.js';

/** Most bytes (estimated) and members in one page of a presence snapshot. */
const PAGE_BYTES = 64 * 1024;
const PAGE_MEMBERS = 1000;
/** The JSON around one member in a page: keys, quotes, `connectedAt`. */
const PAGE_MEMBER_OVERHEAD = 64;

/** A watch in progress or in place. */
export interface Watch {
  readonly connection: Connection;
  readonly topic: string;
  /** Events that came before the snapshot was sent; undefined once it was. */
  pending: PresenceEvent[] | undefined;
  /** For a watch of presence per user: the view that groups connections by user. */
  view: UserPresenceView | undefined;
  /** For a count-only watch (`presence_watch.count`): the count and its coalesced updates. */
  counter: CountWatch | undefined;
}

export class PresenceWatchers {
  readonly #byTopic = new Map<string, Map<string, Watch>>();
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
    if (countOnly) watch.counter = new CountWatch(connection, topic, byUser, this.#countIntervalMs);
    else if (byUser !== undefined) {
      watch.view = new UserPresenceView(byUser.graceMs, (event) => connection.sendMessage(this.#frames.presence(event, connection.codec)));
    }
    end(watches.get(connection.id));
    watches.set(connection.id, watch);
    if (connection.watching.size === 0) connection.watching = new Set();
    connection.watching.add(topic);
    return watch;
  }

  /**
   * Sends the snapshot, then the events held meanwhile; nothing if the watch ended meanwhile. A
   * large snapshot goes in pages (`more: true` on all but the last), each waiting for the socket
   * when half the outbound limit is queued, so that watching a big topic never cuts the watcher
   * as a slow consumer (issue #12: 2,100 members of 4 KB made one 8.4 MB frame).
   */
  async snapshot(watch: Watch, id: number, members: PresenceMember[]): Promise<void> {
    const { connection, topic } = watch;
    const current = (): boolean => this.#byTopic.get(topic)?.get(connection.id) === watch;
    if (!current()) return; // unwatched or closed meanwhile
    if (watch.counter !== undefined) {
      connection.sendMessage({ type: 'presence_state', id, topic, members: [], count: watch.counter.seed(members) });
    } else await this.#sendMembers(watch, id, members, current);
    if (!current()) return;
    const pending = watch.pending ?? [];
    watch.pending = undefined;
    // With a remote engine (Redis) an event held here may already be in the snapshot: replay the
    // held events over the snapshot and send only those that change it (no join twice).
    const present = new Set(members.map((m) => m.id));
    for (const event of pending) {
      const id = event.member.id;
      if (event.type === 'join' ? present.has(id) : !present.has(id)) continue;
      if (event.type === 'join') present.add(id);
      else present.delete(id);
      this.#apply(watch, event);
    }
  }

  /** The members, in pages (see `snapshot`). */
  async #sendMembers(watch: Watch, id: number, members: PresenceMember[], current: () => boolean): Promise<void> {
    const { connection, topic } = watch;
    const shown = watch.view === undefined ? members : watch.view.snapshot(members);
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

  #apply(watch: Watch, event: PresenceEvent): void {
    if (watch.counter !== undefined) watch.counter.apply(event);
    else if (watch.view !== undefined) watch.view.apply(event);
    else watch.connection.sendMessage(this.#frames.presence(event, watch.connection.codec));
  }

  remove(connection: Connection, topic: string): void {
    connection.watching.delete(topic);
    const watches = this.#byTopic.get(topic);
    end(watches?.get(connection.id));
    watches?.delete(connection.id);
    if (watches?.size === 0) this.#byTopic.delete(topic);
  }

  removeAll(connection: Connection): void {
    for (const topic of [...connection.watching]) this.remove(connection, topic);
  }

  /** A join or leave: one frame per codec, to every watcher of the topic. */
  publish(event: PresenceEvent): void {
    const watches = this.#byTopic.get(event.topic);
    if (watches === undefined) return;
    const frames = new Map<string, string | Uint8Array>();
    for (const watch of watches.values()) {
      if (watch.pending !== undefined) {
        watch.pending.push(event);
        continue;
      }
      if (watch.view !== undefined || watch.counter !== undefined) {
        this.#apply(watch, event);
        continue;
      }
      const { codec } = watch.connection;
      let frame = frames.get(codec.name);
      if (frame === undefined) frames.set(codec.name, (frame = encodeFrame(this.#frames.presence(event, codec))));
      watch.connection.send(frame);
    }
  }
}

/** Stops a watch's timers (leave graces, count updates). */
function end(watch: Watch | undefined): void {
  watch?.view?.close();
  watch?.counter?.close();
}
