import { Emitter } from '@herald/protocol';

/** A member of a topic's presence: a client subscribed to exactly that topic or pattern. */
export interface Member {
  id: string;
  name: string;
  /** The info the member connected with, decoded. */
  info: unknown;
  connectedAt: Date;
}

export interface PresenceEvents {
  /** A client subscribed to the topic. */
  join: (member: Member) => void;
  /** A client left: `unsubscribed`, `closed` (it closed its connection) or `dropped` (connection lost). */
  leave: (member: Member, reason: string) => void;
  /** After every join or leave (and after a re-synchronisation): the members now. */
  change: (members: Member[]) => void;
  /** The view ended: `close()` was called or the client closed. */
  end: () => void;
}

/** The client's side of a presence view. */
export interface PresenceSink {
  reset(members: Member[]): void;
  join(member: Member): void;
  leave(member: Member, reason: string): void;
  end(): void;
}

/**
 * A live view of who is subscribed to a topic (or pattern, compared as a string): a snapshot kept
 * up to date by `join` and `leave` events. From `client.presence(topic)`.
 */
export class Presence extends Emitter<PresenceEvents> {
  readonly topic: string;
  readonly #members = new Map<string, Member>();
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
    return this.#members.size;
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
      reset: (members) => {
        this.#members.clear();
        for (const member of members) this.#members.set(member.id, member);
        this.emit('change', this.members());
      },
      join: (member) => {
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
