/**
 * Who watches which topic's presence, on this router. A watch gets the members as the engine has
 * them, then every join and leave in order; events that arrive while the snapshot is on its way are
 * held and sent right after it, so a watcher never sees an event before its snapshot.
 */
import { encodeFrame } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { PresenceEvent, PresenceMember } from './engine.js';
import type { Frames } from './frames.js';

/** A watch in progress or in place. */
export interface Watch {
  readonly connection: Connection;
  readonly topic: string;
  /** Events that came before the snapshot was sent; undefined once it was. */
  pending: PresenceEvent[] | undefined;
}

export class PresenceWatchers {
  readonly #byTopic = new Map<string, Map<string, Watch>>();
  readonly #frames: Frames;

  constructor(frames: Frames) {
    this.#frames = frames;
  }

  /** Starts a watch: events for the topic are held for it until `snapshot`. */
  start(connection: Connection, topic: string): Watch {
    let watches = this.#byTopic.get(topic);
    if (watches === undefined) this.#byTopic.set(topic, (watches = new Map()));
    const watch: Watch = { connection, topic, pending: [] };
    watches.set(connection.id, watch);
    if (connection.watching.size === 0) connection.watching = new Set();
    connection.watching.add(topic);
    return watch;
  }

  /** Sends the snapshot, then the events held meanwhile; nothing if the watch ended meanwhile. */
  snapshot(watch: Watch, id: number, members: PresenceMember[]): void {
    const { connection, topic } = watch;
    if (this.#byTopic.get(topic)?.get(connection.id) !== watch) return; // unwatched or closed meanwhile
    connection.sendMessage({ type: 'presence_state', id, topic, members: members.map((m) => this.#frames.member(m, connection.codec)) });
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
      connection.sendMessage(this.#frames.presence(event, connection.codec));
    }
  }

  remove(connection: Connection, topic: string): void {
    connection.watching.delete(topic);
    const watches = this.#byTopic.get(topic);
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
      const { codec } = watch.connection;
      let frame = frames.get(codec.name);
      if (frame === undefined) frames.set(codec.name, (frame = encodeFrame(this.#frames.presence(event, codec))));
      watch.connection.send(frame);
    }
  }
}
