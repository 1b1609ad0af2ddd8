import { matchPattern } from '@herald/protocol';
import type { Subscription, SubscriptionSink } from './subscription.js';

/**
 * The client's subscriptions: by pattern (several may share one, the router keeps one per pattern
 * and connection) and by the id of the `subscribe` request whose replayed messages they await.
 */
export class SubscriptionTable {
  readonly #byPattern = new Map<string, Map<Subscription<unknown>, SubscriptionSink>>();
  readonly #byRequest = new Map<number, SubscriptionSink>();
  /**
   * The sinks of the last topic dispatched live, reused until a subscription is added or removed:
   * a stream of messages on one topic matches the patterns once, not once per message.
   */
  #lastTopic: string | undefined;
  #lastTargets: readonly SubscriptionSink[] = [];

  add(subscription: Subscription<unknown>, sink: SubscriptionSink): void {
    let sinks = this.#byPattern.get(subscription.pattern);
    if (sinks === undefined) this.#byPattern.set(subscription.pattern, (sinks = new Map()));
    sinks.set(subscription, sink);
    this.#lastTopic = undefined;
  }

  /** Removes a subscription. Returns true when it was the last one of its pattern. */
  remove(subscription: Subscription<unknown>): boolean {
    const sinks = this.#byPattern.get(subscription.pattern);
    const sink = sinks?.get(subscription);
    if (sinks === undefined || sink === undefined) return false;
    sinks.delete(subscription);
    this.#lastTopic = undefined;
    for (const [id, requester] of this.#byRequest) if (requester === sink) this.#byRequest.delete(id);
    if (sinks.size > 0) return false;
    this.#byPattern.delete(subscription.pattern);
    return true;
  }

  sinkOf(subscription: Subscription<unknown>): SubscriptionSink | undefined {
    return this.#byPattern.get(subscription.pattern)?.get(subscription);
  }

  *entries(): IterableIterator<[Subscription<unknown>, SubscriptionSink]> {
    for (const sinks of this.#byPattern.values()) yield* sinks;
  }

  /** The `subscribe` request `id` was sent for `sink`: its replays go to that sink only. */
  requested(id: number, sink: SubscriptionSink): void {
    this.#byRequest.set(id, sink);
  }

  confirmed(id: number): void {
    this.#byRequest.delete(id);
  }

  /** Forgets every request in flight (the connection dropped; they are sent again). */
  clearRequests(): void {
    this.#byRequest.clear();
  }

  /**
   * The sinks a message is for: the requester of a replay, or every subscription whose pattern
   * matches. The array is never changed afterwards (a later call may return the same one).
   */
  targets(topic: string, replay: number | undefined): readonly SubscriptionSink[] {
    if (replay !== undefined) {
      const sink = this.#byRequest.get(replay);
      return sink === undefined ? [] : [sink];
    }
    if (topic === this.#lastTopic) return this.#lastTargets;
    const targets: SubscriptionSink[] = [];
    for (const [pattern, sinks] of this.#byPattern) {
      if (matchPattern(pattern, topic)) for (const sink of sinks.values()) targets.push(sink);
    }
    this.#lastTopic = topic;
    this.#lastTargets = targets;
    return targets;
  }
}
