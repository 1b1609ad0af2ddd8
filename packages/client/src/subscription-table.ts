import { matchPattern } from '@herald/protocol';
import { type Subscription, control } from './subscription.js';

/**
 * The client's subscriptions: by pattern (several may share one, the router keeps one per pattern
 * and connection) and by the id of the `subscribe` request whose replayed messages they await.
 */
export class SubscriptionTable {
  /** The subscriptions of each pattern, in subscription order (a list: most patterns have one). */
  readonly #byPattern = new Map<string, Subscription<unknown>[]>();
  /** Made by the first request and dropped once empty: most of the time no request is in flight. */
  #byRequest: Map<number, Subscription<unknown>> | undefined;
  /**
   * The subscriptions of the last topic dispatched live, reused until a subscription is added or removed:
   * a stream of messages on one topic matches the patterns once, not once per message.
   */
  #lastTopic: string | undefined;
  #lastTargets: readonly Subscription<unknown>[] = [];

  add(subscription: Subscription<unknown>): void {
    const { pattern } = subscription;
    // A literal of one: an array grown by push from empty reserves room for 17.
    const subscriptions = this.#byPattern.get(pattern);
    if (subscriptions === undefined) this.#byPattern.set(pattern, [subscription]);
    else subscriptions.push(subscription);
    this.#lastTopic = undefined;
  }

  /** Removes a subscription. Returns true when it was the last one of its pattern. */
  remove(subscription: Subscription<unknown>): boolean {
    const subscriptions = this.#byPattern.get(subscription.pattern);
    const index = subscriptions?.indexOf(subscription) ?? -1;
    if (index === -1) return false;
    subscriptions!.splice(index, 1);
    this.#lastTopic = undefined;
    for (const [id, requester] of this.#byRequest ?? []) if (requester === subscription) this.confirmed(id);
    if (subscriptions!.length > 0) return false;
    this.#byPattern.delete(subscription.pattern);
    return true;
  }

  /** Every subscription, by pattern in subscription order. */
  *entries(): IterableIterator<Subscription<unknown>> {
    for (const subscriptions of this.#byPattern.values()) yield* subscriptions;
  }

  /** The `subscribe` request `id` was sent for `subscription`: its replays go to it only. */
  requested(id: number, subscription: Subscription<unknown>): void {
    (this.#byRequest ??= new Map()).set(id, subscription);
  }

  confirmed(id: number): void {
    if (this.#byRequest?.delete(id) && this.#byRequest.size === 0) this.#byRequest = undefined;
  }

  /**
   * The connection dropped: forgets every request in flight (they are sent again after the
   * reconnect), and every subscription waits for the reconnect.
   */
  suspend(): void {
    this.#byRequest = undefined;
    for (const subscription of this.entries()) control.suspend(subscription);
  }

  /** The client closed: every subscription ends (with `error`, if any), a `subscribe()` still waiting rejects with `closed`. */
  closeAll(error: unknown, closed: unknown): void {
    for (const subscription of [...this.entries()]) {
      this.remove(subscription);
      control.end(subscription, error);
      control.refuse(subscription, closed);
    }
  }

  /** The router revoked the subscriptions of `pattern`: they end with `error`. */
  revoke(pattern: string, error: unknown): void {
    for (const subscription of [...this.entries()]) {
      if (subscription.pattern !== pattern) continue;
      this.remove(subscription);
      control.end(subscription, error);
    }
  }

  /**
   * The subscriptions a message is for: the requester of a replay, or every subscription whose pattern
   * matches. The array is never changed afterwards (a later call may return the same one).
   */
  targets(topic: string, replay: number | undefined): readonly Subscription<unknown>[] {
    if (replay !== undefined) {
      const requester = this.#byRequest?.get(replay);
      return requester === undefined ? [] : [requester];
    }
    if (topic === this.#lastTopic) return this.#lastTargets;
    let targets: readonly Subscription<unknown>[] = [];
    for (const [pattern, subscriptions] of this.#byPattern) {
      if (matchPattern(pattern, topic)) targets = targets.concat(subscriptions);
    }
    this.#lastTopic = topic;
    this.#lastTargets = targets;
    return targets;
  }
}
