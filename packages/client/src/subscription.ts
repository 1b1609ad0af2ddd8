import { ErrorCode, type PeerRef, SubscriptionError } from '@herald/protocol';
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
}

/** A message as an async iterator yields it. */
export interface Delivery<T> {
  data: T;
  meta: MessageMeta;
}

export type MessageHandler<T> = (data: T, meta: MessageMeta) => void;

export interface SubscribeOptions {
  /**
   * How many messages an async iterator of this subscription may hold unread. Past it, the
   * iteration throws a SubscriptionError `SUBSCRIPTION_OVERFLOW` (messages are never dropped
   * silently). Default 1,000.
   */
  bufferSize?: number;
}

export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

/** The client's side of a subscription: what the public object does not show. */
export interface SubscriptionSink {
  confirm(): void;
  deliver(data: unknown, meta: MessageMeta): void;
  /** Ends the subscription: iterators finish (or throw `error`), the state becomes unsubscribed. */
  end(error?: unknown): void;
}

/**
 * A subscription to a topic or pattern. Messages go to its handler and to every async iterator
 * taken from it (`for await (const { data, meta } of sub)`). Breaking out of a loop unsubscribes.
 */
export class Subscription<T = unknown> implements AsyncIterable<Delivery<T>> {
  readonly pattern: string;
  #state: SubscriptionState = 'subscribing';
  readonly #handler: MessageHandler<T> | undefined;
  readonly #queues = new Set<AsyncQueue<Delivery<T>>>();
  readonly #bufferSize: number;
  readonly #release: (subscription: Subscription<T>) => Promise<void>;
  readonly #report: (error: unknown) => void;

  /** @internal Made by `client.subscribe`. */
  constructor(
    pattern: string,
    handler: MessageHandler<T> | undefined,
    options: SubscribeOptions,
    release: (subscription: Subscription<T>) => Promise<void>,
    report: (error: unknown) => void,
  ) {
    this.pattern = pattern;
    this.#handler = handler;
    this.#bufferSize = options.bufferSize ?? 1000;
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

  /** @internal */
  sink(): SubscriptionSink {
    return {
      confirm: () => {
        if (this.#state === 'subscribing') this.#state = 'subscribed';
      },
      deliver: (data, meta) => this.#deliver(data as T, meta),
      end: (error) => this.#end(error),
    };
  }

  #deliver(data: T, meta: MessageMeta): void {
    if (this.#state === 'unsubscribed') return;
    if (this.#handler !== undefined) {
      try {
        this.#handler(data, meta);
      } catch (error) {
        this.#report(new SubscriptionError(ErrorCode.SUBSCRIBER_ERROR, `a handler of "${this.pattern}" threw`, { cause: error }));
      }
    }
    for (const queue of this.#queues) {
      queue.push({ data, meta }, () => {
        this.#queues.delete(queue);
        // Nobody is left to read: stop the subscription rather than route messages to no one.
        if (this.#handler === undefined && this.#queues.size === 0) void this.unsubscribe().catch(this.#report);
        return new SubscriptionError(
          ErrorCode.SUBSCRIPTION_OVERFLOW,
          `an iterator of "${this.pattern}" fell more than ${this.#bufferSize} messages behind`,
        );
      });
    }
  }

  #end(error?: unknown): void {
    if (this.#state === 'unsubscribed') return;
    this.#state = 'unsubscribed';
    for (const queue of this.#queues) queue.end(error);
    this.#queues.clear();
  }
}
