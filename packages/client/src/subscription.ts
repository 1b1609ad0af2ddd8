import { Emitter, type PeerRef, type Position, type SubscribedMsg, SubscriptionError, VERBOSE_ERRORS } from '@herald/protocol';
import { AsyncQueue } from './async-queue.js';

/** What arrives with each message. */
export interface MessageMeta {
  topic: string;
  /** Who published it: a client's id and name, or the router's (see `client.router`). */
  publisher: PeerRef;
  /** The topic's epoch: offsets are only comparable within one epoch. */
  epoch: string;
  /** The message's sequence number in its topic: +1 per message within an epoch. */
  offset: number;
  /** When the router accepted it. */
  publishedAt: Date;
  /** True for a message replayed from history (a `rewind`, or recovery after a reconnect). */
  replayed: boolean;
}

/** A message as an async iterator yields it. */
export interface Delivery<T> {
  data: T;
  meta: MessageMeta;
}

export type MessageHandler<T> = (data: T, meta: MessageMeta) => void;

export interface SubscribeOptions {
  /**
   * How many live messages an async iterator of this subscription may hold unread. Past it, the
   * iteration throws a SubscriptionError `SUBSCRIPTION_OVERFLOW` (messages are never dropped
   * silently). A replay (rewind, recovery) arrives in one burst and does not count. Default 1,000.
   */
  bufferSize?: number;
  /**
   * Start with the last `rewind` messages of each matching topic that the router's history still
   * holds, then live ones: a dashboard shows the latest value at once.
   */
  rewind?: number;
}

/** How a subscription came back after a reconnect: the `recovery` event. */
export interface Recovery {
  /** True when every message missed while disconnected was replayed, in order, without duplicates. */
  recovered: boolean;
  /** Why not: `epoch_changed` (the router restarted: offsets restarted) or `history_evicted`. */
  reason?: string;
  /** The topics that have a gap. */
  gaps: string[];
}

export interface SubscriptionEvents {
  /**
   * After each reconnect, once the router has replayed what it still had. On `recovered: false`,
   * refetch the state the subscription feeds.
   */
  recovery: (recovery: Recovery) => void;
}

export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

interface Pending {
  data: unknown;
  meta: MessageMeta;
}

/** The client's side of a subscription: what the public object does not show. */
export interface SubscriptionSink {
  /** The recovery fields for the next `subscribe` frame. */
  request(): { rewind?: number; positions?: Position[]; since?: number };
  /** A message for this subscription (live, or replayed for its current request). */
  offer(data: unknown, meta: MessageMeta): void;
  /** The router confirmed: deliver what was held back, in order, without duplicates. */
  confirm(reply: SubscribedMsg): void;
  /** The connection dropped: hold messages back again until the resubscription is confirmed. */
  suspend(): void;
  /** The subscription ended: iterators finish (or throw `error`). */
  end(error?: unknown): void;
}

/**
 * A subscription to a topic or pattern. Messages go to its handler and to every async iterator
 * taken from it (`for await (const { data, meta } of sub)`); breaking out of a loop unsubscribes.
 * It survives reconnects: the client resubscribes from the last offset of each topic, the router
 * replays what the subscription missed, and the `recovery` event says whether anything is lost.
 */
export class Subscription<T = unknown> extends Emitter<SubscriptionEvents> implements AsyncIterable<Delivery<T>> {
  readonly pattern: string;
  #state: SubscriptionState = 'subscribing';
  readonly #handler: MessageHandler<T> | undefined;
  readonly #queues = new Set<AsyncQueue<Delivery<T>>>();
  readonly #bufferSize: number;
  #rewind: number | undefined;
  readonly #release: (subscription: Subscription<T>) => Promise<void>;
  readonly #report: (error: unknown) => void;
  /** The last message delivered per topic: for deduplication and recovery. */
  readonly #positions = new Map<string, { epoch: string; offset: number }>();
  /** Router time of the first confirmation: recovery replays unseen topics from there. */
  #since: number | undefined;
  #held: Pending[] = [];
  #resumed = false;

  /** @internal Made by `client.subscribe`. */
  constructor(
    pattern: string,
    handler: MessageHandler<T> | undefined,
    options: SubscribeOptions,
    release: (subscription: Subscription<T>) => Promise<void>,
    report: (error: unknown) => void,
  ) {
    super();
    this.pattern = pattern;
    this.#handler = handler;
    this.#bufferSize = options.bufferSize ?? 1000;
    this.#rewind = options.rewind;
    this.#release = release;
    this.#report = report;
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** Stops the subscription. Resolves once the router confirmed (at once if others share the pattern). */
  async unsubscribe(): Promise<void> {
    if (this.#state === 'unsubscribed') return;
    this.#end();
    await this.#release(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery<T>> {
    const queue: AsyncQueue<Delivery<T>> = new AsyncQueue(this.#bufferSize, () => {
      this.#queues.delete(queue);
      void this.unsubscribe().catch(this.#report);
    });
    if (this.#state === 'unsubscribed') queue.end();
    else this.#queues.add(queue);
    return queue;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.unsubscribe();
  }

  protected override listenerFailed(_event: keyof SubscriptionEvents, error: unknown): void {
    this.#report(error);
  }

  /** @internal */
  sink(): SubscriptionSink {
    return {
      request: () => this.#request(),
      offer: (data, meta) => {
        if (this.#state === 'subscribing') this.#held.push({ data, meta });
        else if (this.#state === 'subscribed') this.#deliver(data as T, meta);
      },
      confirm: (reply) => this.#confirm(reply),
      suspend: () => {
        if (this.#state === 'subscribed') this.#state = 'subscribing';
        this.#resumed = true;
      },
      end: (error) => this.#end(error),
    };
  }

  #request(): { rewind?: number; positions?: Position[]; since?: number } {
    if (this.#since === undefined) return this.#rewind === undefined ? {} : { rewind: this.#rewind };
    const positions: Position[] = [];
    for (const [topic, { epoch, offset }] of this.#positions) positions.push([topic, epoch, offset]);
    return { positions, since: this.#since };
  }

  #confirm(reply: SubscribedMsg): void {
    if (this.#state !== 'subscribing') return;
    if (this.#since === undefined || reply.recovered === false) this.#since = reply.at;
    this.#rewind = undefined;
    this.#state = 'subscribed';
    // Replayed messages were sent before the confirmation, live ones may have overtaken them:
    // replays first, then the live ones, each at most once per topic offset.
    // What was held arrives in one burst, before anyone could read: it does not count against an
    // iterator's bufferSize (it is already in memory; the router bounds it by its history).
    const held = this.#held;
    this.#held = [];
    // The recovery event comes first: a listener knows how the subscription came back (and what
    // is lost) before the replayed messages arrive, as it does when nothing needs replaying.
    if (this.#resumed) {
      this.#resumed = false;
      const recovery: Recovery = { recovered: reply.recovered ?? true, gaps: reply.gaps ?? [] };
      if (reply.reason !== undefined) recovery.reason = reply.reason;
      this.emit('recovery', recovery);
    }
    for (const item of held) if (item.meta.replayed) this.#deliver(item.data as T, item.meta, true);
    for (const item of held) if (!item.meta.replayed) this.#deliver(item.data as T, item.meta, true);
  }

  #deliver(data: T, meta: MessageMeta, burst = false): void {
    if (this.#state === 'unsubscribed') return;
    const last = this.#positions.get(meta.topic);
    if (last !== undefined && last.epoch === meta.epoch && meta.offset <= last.offset) return; // seen
    this.#positions.set(meta.topic, { epoch: meta.epoch, offset: meta.offset });
    if (this.#handler !== undefined) {
      try {
        this.#handler(data, meta);
      } catch (error) {
        this.#report(new SubscriptionError('SUBSCRIBER_ERROR', VERBOSE_ERRORS ? `a handler of "${this.pattern}" threw` : this.pattern, { cause: error }));
      }
    }
    for (const queue of this.#queues) {
      queue.push({ data, meta }, () => {
        this.#queues.delete(queue);
        // Nobody is left to read: stop the subscription rather than route messages to no one.
        if (this.#handler === undefined && this.#queues.size === 0) void this.unsubscribe().catch(this.#report);
        return new SubscriptionError(
          'SUBSCRIPTION_OVERFLOW',
          VERBOSE_ERRORS ? `an iterator of "${this.pattern}" fell more than ${this.#bufferSize} messages behind` : this.pattern,
        );
      }, burst);
    }
  }

  #end(error?: unknown): void {
    if (this.#state === 'unsubscribed') return;
    this.#state = 'unsubscribed';
    this.#held = [];
    for (const queue of this.#queues) queue.end(error);
    this.#queues.clear();
  }
}
