import { type Codec, Emitter, type MemberWire } from '@herald/protocol';
import { type Outbox, ignoreClosed } from './outbox.js';

/** A member of a topic's presence: a client subscribed to exactly that topic or pattern. */
export interface Member {
  /** The member's id: its user, in presence per user; its connection's id, per connection. */
  id: string;
  name: string;
  /** The verified user, on routers with `authenticate`. */
  user?: string;
  /**
   * In presence per user: the ids of its connections, as of its join or the snapshot (empty for a
   * user the snapshot lists in its leave grace: its last connection went, its leave may follow).
   */
  connections?: string[];
  /** The info the member connected with, decoded. */
  info: unknown;
  connectedAt: Date;
}

export interface PresenceEvents {
  /** A client subscribed to the topic. */
  join: (member: Member) => void;
  /**
   * A client left: `unsubscribed`, `closed` (it closed its connection) or `dropped` (connection
   * lost; also a member found gone after a reconnect, or after the router's Redis Pub/Sub outage,
   * when why it left is not known); `node_lost` over Redis (its router died).
   */
  leave: (member: Member, reason: string) => void;
  /**
   * After every join or leave (and after a re-synchronisation): the members now. On a count-only
   * view: after every change of `count` (the members are then always `[]`).
   */
  change: (members: Member[]) => void;
  /** The view ended: `close()` was called or the client closed. */
  end: () => void;
}

/** The client's side of a presence view. */
export interface PresenceSink {
  /** `count`: the router's count, for a count-only watch. */
  reset(members: Member[], count?: number): void;
  join(member: Member): void;
  leave(member: Member, reason: string): void;
  end(): void;
}

/**
 * A live view of who is subscribed to a topic (or pattern, compared as a string): a snapshot kept
 * up to date by `join` and `leave` events. From `client.presence(topic)`. A count-only view
 * (`{ countOnly: true }`) has `count` and `change` events, no members (unless the client also
 * watches the topic's members: the views of a topic share one watch).
 */
export class Presence extends Emitter<PresenceEvents> {
  readonly topic: string;
  readonly #members = new Map<string, Member>();
  /** The router's count, while the topic's watch is count-only. */
  #count: number | undefined;
  readonly #release: (view: Presence) => Promise<void>;
  readonly #report: (error: unknown) => void;
  #open = true;

  /** @internal Made by `client.presence`. */
  constructor(topic: string, release: (view: Presence) => Promise<void>, report: (error: unknown) => void) {
    super();
    this.topic = topic;
    this.#release = release;
    this.#report = report;
  }

  /** The members now, in the order they joined. */
  members(): Member[] {
    return [...this.#members.values()];
  }

  /** How many members there are now. */
  get count(): number {
    return this.#count ?? this.#members.size;
  }

  /** Whether the view still receives updates. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Stops watching. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#end();
    await this.#release(this);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal */
  sink(): PresenceSink {
    return {
      reset: (members, count) => {
        this.#count = count;
        this.#members.clear();
        for (const member of members) this.#members.set(member.id, member);
        this.emit('change', this.members());
      },
      join: (member) => {
        this.#count = undefined; // a member watch took over from a count-only one
        if (!this.#open || this.#members.has(member.id)) return;
        this.#members.set(member.id, member);
        this.emit('join', member);
        this.emit('change', this.members());
      },
      leave: (member, reason) => {
        const known = this.#members.get(member.id);
        if (!this.#open || known === undefined) return;
        this.#members.delete(member.id);
        this.emit('leave', known, reason);
        this.emit('change', this.members());
      },
      end: () => this.#end(),
    };
  }

  protected override listenerFailed(_event: keyof PresenceEvents, error: unknown): void {
    this.#report(error);
  }

  #end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.emit('end');
  }
}

interface Entry {
  views: Map<Presence, PresenceSink>;
  members: Map<string, Member>;
  /** The router's count, for a count-only watch (all the topic's views are count-only). */
  count: number | undefined;
  /**
   * Settles once a snapshot arrived, from whichever watch gets one first (a watch whose reply the
   * connection lost is sent again after the reconnect), or when the router refuses the watch.
   */
  ready: Promise<void>;
  settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
}

/**
 * The client's presence watches: one per topic, shared by every view of it, watched again after a
 * reconnect (members that left meanwhile get a `leave` with reason `dropped`, new ones a `join`).
 * A topic's watch is count-only while all its views are; a member view makes it a member watch
 * (the router replaces the watch) whose members every view of the topic then gets.
 */
export class PresenceWatches {
  readonly #entries = new Map<string, Entry>();
  /** Sends `presence_watch` and `presence_unwatch`. */
  readonly #outbox: Outbox;
  /** Decodes the members' info. */
  readonly #codec: Codec;
  readonly #report: (error: unknown) => void;

  constructor(outbox: Outbox, codec: Codec, report: (error: unknown) => void) {
    this.#outbox = outbox;
    this.#codec = codec;
    this.#report = report;
  }

  /** A new view of `topic`, once its snapshot arrived (after the reconnect, when not `watchNow`). */
  async view(topic: string, watchNow: boolean, countOnly: boolean): Promise<Presence> {
    const view = new Presence(topic, (v) => this.#release(v), this.#report);
    const sink = view.sink();
    let entry = this.#entries.get(topic);
    if (entry === undefined || (entry.count !== undefined && !countOnly)) {
      // A count-only watch's views move to the member watch that replaces it.
      const created: Entry = { views: entry?.views ?? new Map(), members: new Map(), count: countOnly ? 0 : undefined, ready: Promise.resolve(), settle: undefined };
      created.ready = new Promise((resolve, reject) => (created.settle = { resolve, reject }));
      this.#entries.set(topic, (entry = created));
      if (watchNow) this.#watch(topic, created);
    }
    entry.views.set(view, sink);
    try {
      await entry.ready;
    } catch (error) {
      entry.views.delete(view);
      if (entry.views.size === 0 && this.#entries.get(topic) === entry) this.#entries.delete(topic);
      sink.end();
      throw error;
    }
    sink.reset([...entry.members.values()], entry.count);
    return view;
  }

  /** A count-only watch's count (`presence_count`, or its snapshot). */
  count(topic: string, count: number | undefined, entry = this.#entries.get(topic)): void {
    if (entry?.count === undefined) return; // none, or a member watch replaced it
    entry.count = count;
    for (const sink of entry.views.values()) sink.reset([], count);
  }

  /** A `presence_join`: the member as the router sent it. */
  join(topic: string, wire: MemberWire): void {
    this.#join(topic, this.#member(wire));
  }

  #join(topic: string, member: Member): void {
    const entry = this.#entries.get(topic);
    if (entry === undefined || entry.members.has(member.id)) return;
    entry.members.set(member.id, member);
    for (const sink of entry.views.values()) sink.join(member);
  }

  leave(topic: string, id: string, reason: string): void {
    const entry = this.#entries.get(topic);
    const member = entry?.members.get(id);
    if (entry === undefined || member === undefined) return;
    entry.members.delete(id);
    for (const sink of entry.views.values()) sink.leave(member, reason);
  }

  /** After a reconnect: watch every topic again and bring the views up to date. */
  resume(): void {
    for (const [topic, entry] of this.#entries) this.#watch(topic, entry);
  }

  /** The router ended the watch of `topic` (permission revoked): its views end. */
  revoke(topic: string, error: unknown): void {
    const entry = this.#entries.get(topic);
    if (entry === undefined) return;
    this.#entries.delete(topic);
    entry.settle?.reject(error);
    for (const sink of entry.views.values()) sink.end();
  }

  /** The client closed: every view ends, views still waiting for a snapshot fail with `error`. */
  endAll(error: unknown): void {
    for (const entry of this.#entries.values()) {
      entry.settle?.reject(error);
      for (const sink of entry.views.values()) sink.end();
    }
    this.#entries.clear();
  }

  /** Sends `presence_watch` (count-only: with `count: true`); the snapshot is applied as its frame is handled. */
  #watch(topic: string, entry: Entry): void {
    const watched = this.#outbox.request({ type: 'presence_watch', topic, count: entry.count !== undefined || undefined }, 'subscription', 'resend', (reply) => {
      if (reply.type !== 'presence_state') return;
      const members = reply.members.map((wire) => this.#member(wire));
      if (entry.count !== undefined) return this.count(topic, reply.count, entry);
      const fresh = new Map(members.map((member) => [member.id, member]));
      for (const id of [...entry.members.keys()]) if (!fresh.has(id)) this.leave(topic, id, 'dropped');
      for (const member of members) this.#join(topic, member);
    });
    watched.then(
      () => {
        entry.settle?.resolve();
        entry.settle = undefined;
      },
      (error: unknown) => {
        if (entry.settle === undefined) this.#report(error);
        else entry.settle.reject(error);
        entry.settle = undefined;
      },
    );
  }

  async #release(view: Presence): Promise<void> {
    const entry = this.#entries.get(view.topic);
    if (entry === undefined || !entry.views.delete(view) || entry.views.size > 0) return;
    this.#entries.delete(view.topic);
    await entry.ready.catch(() => undefined);
    if (!this.#entries.has(view.topic)) await this.#outbox.request({ type: 'presence_unwatch', topic: view.topic }, 'subscription', 'fail').then(() => undefined, ignoreClosed);
  }

  /** A member as the router sent it, its info decoded (info that does not decode is reported and left undefined). */
  #member(wire: MemberWire): Member {
    let info: unknown;
    if (wire.info !== undefined) {
      const decoded = this.#codec.decode(wire.info);
      if (decoded.ok) info = decoded.value;
      else this.#report(decoded.error);
    }
    const member: Member = { id: wire.id, name: wire.name, info, connectedAt: new Date(wire.connectedAt) };
    if (wire.user !== undefined) member.user = wire.user;
    if (wire.connections !== undefined) member.connections = wire.connections;
    return member;
  }
}
