import { Emitter, type MessageMeta as PublishedMeta, type Position, type SubscribedMsg, SubscriptionError, VERBOSE_ERRORS } from '@herald/protocol';
import { AsyncQueue } from './async-queue.js';

/**
 * What arrives with each message: its topic, publisher (a client, or the router: see
 * `client.router`), epoch, offset and time, as an in-process subscriber of the router gets them,
 * and whether it was replayed.
 */
export interface MessageMeta extends PublishedMeta {
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
   * silently). A replay (rewind, recovery) arrives in one burst and does not count. An integer from
   * 0 to 1e9 (`OPTION_INVALID` otherwise). Default 1,000.
   */
  bufferSize?: number;
  /**
   * Start with the last `rewind` messages of each matching topic that the router's history still
   * holds, then live ones: a dashboard shows the latest value at once. An integer from 0 to 2^53 - 1
   * (`OPTION_INVALID` otherwise).
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

/**
 * The client's side of its subscriptions: what the public object does not show. One object for
 * every subscription (functions of the subscription, not closures per subscription: a client's
 * heap is what V8's garbage collector marks, bench/README).
 */
export interface SubscriptionControl {
  /** The recovery fields for the next `subscribe` frame. */
  request(subscription: Subscription<unknown>): { rewind?: number; positions?: Position[]; since?: number };
  /** A message for this subscription (live, or replayed for its current request). */
  offer(subscription: Subscription<unknown>, data: unknown, meta: MessageMeta): void;
  /**
   * The router confirmed: deliver what was held back, in order, without duplicates. The first
   * confirmation settles `client.subscribe()` (see `firstConfirm`).
   */
  confirm(subscription: Subscription<unknown>, reply: SubscribedMsg): void;
  /** The connection dropped: hold messages back again until the resubscription is confirmed. */
  suspend(subscription: Subscription<unknown>): void;
  /** The subscription ended: iterators finish (or throw `error`). */
  end(subscription: Subscription<unknown>, error?: unknown): void;
  /** Settles at the first confirmation, or rejects through `refuse`. */
  firstConfirm(subscription: Subscription<unknown>): Promise<void>;
  /** Rejects the first confirmation's Promise with `error`; false when nothing waits for it any more. */
  refuse(subscription: Subscription<unknown>, error: unknown): boolean;
}

/** Set in Subscription's static block, the only place outside its methods that reaches its privates. */
export let control: SubscriptionControl;

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
  /** The async iterators taken from it: made by the first. */
  #queues: Set<AsyncQueue<Delivery<T>>> | undefined;
  readonly #bufferSize: number;
  #rewind: number | undefined;
  readonly #release: (subscription: Subscription<T>) => Promise<void>;
  readonly #report: (error: unknown) => void;
  /** The last message delivered per topic: for deduplication and recovery. */
  readonly #positions = new Map<string, { epoch: string; offset: number }>();
  /** Router time of the first confirmation: recovery replays unseen topics from there. */
  #since: number | undefined;
  /** Messages held back until the router confirms: made by the first. */
  #held: Pending[] | undefined;
  #resumed = false;
  /** The `client.subscribe()` call, until the first confirmation. */
  #waiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  static {
    control = {
      request(subscription) {
        const since = subscription.#since;
        if (since === undefined) return subscription.#rewind === undefined ? {} : { rewind: subscription.#rewind };
        const positions: Position[] = [];
        for (const [topic, { epoch, offset }] of subscription.#positions) positions.push([topic, epoch, offset]);
        return { positions, since };
      },
      offer(subscription, data, meta) {
        if (subscription.#state === 'subscribing') (subscription.#held ??= []).push({ data, meta });
        else if (subscription.#state === 'subscribed') subscription.#deliver(data, meta);
      },
      confirm: (subscription, reply) => subscription.#confirm(reply),
      suspend(subscription) {
        if (subscription.#state === 'subscribed') subscription.#state = 'subscribing';
        subscription.#resumed = true;
      },
      end: (subscription, error) => subscription.#end(error),
      firstConfirm: (subscription) => new Promise((resolve, reject) => (subscription.#waiter = { resolve, reject })),
      refuse(subscription, error) {
        const waiter = subscription.#waiter;
        subscription.#waiter = undefined;
        waiter?.reject(error);
        return waiter !== undefined;
      },
    };
  }

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
      this.#queues?.delete(queue);
      void this.unsubscribe().catch(this.#report);
    });
    if (this.#state === 'unsubscribed') queue.end();
    else (this.#queues ??= new Set()).add(queue);
    return queue;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.unsubscribe();
  }

  protected override listenerFailed(_event: keyof SubscriptionEvents, error: unknown): void {
    this.#report(error);
  }

  #confirm(reply: SubscribedMsg): void {
    // The first confirmation settles `client.subscribe()` (its Promise runs the caller later).
    this.#waiter?.resolve();
    this.#waiter = undefined;
    if (this.#state !== 'subscribing') return;
    if (this.#since === undefined || reply.recovered === false) this.#since = reply.at;
    this.#rewind = undefined;
    this.#state = 'subscribed';
    // Replayed messages were sent before the confirmation, live ones may have overtaken them:
    // replays first, then the live ones, each at most once per topic offset.
    // What was held arrives in one burst, before anyone could read: it does not count against an
    // iterator's bufferSize (it is already in memory; the router bounds it by its history).
    const held = this.#held ?? [];
    this.#held = undefined;
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
    // Within an epoch the position is updated in place: no allocation per message, and nothing new
    // kept alive from the old generation for every scavenge to copy.
    const last = this.#positions.get(meta.topic);
    if (last?.epoch === meta.epoch) {
      if (meta.offset <= last.offset) return; // seen
      last.offset = meta.offset;
    } else this.#positions.set(meta.topic, { epoch: meta.epoch, offset: meta.offset });
    if (this.#handler !== undefined) {
      try {
        this.#handler(data, meta);
      } catch (error) {
        this.#report(new SubscriptionError('SUBSCRIBER_ERROR', VERBOSE_ERRORS ? `a handler of "${this.pattern}" threw` : this.pattern, { cause: error }));
      }
    }
    const queues = this.#queues;
    if (queues === undefined) return;
    for (const queue of queues) {
      queue.push({ data, meta }, () => {
        queues.delete(queue);
        // Nobody is left to read: stop the subscription rather than route messages to no one.
        if (this.#handler === undefined && queues.size === 0) void this.unsubscribe().catch(this.#report);
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
    this.#held = undefined;
    for (const queue of this.#queues ?? []) queue.end(error);
    this.#queues = undefined;
  }
}
