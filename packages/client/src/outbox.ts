/**
 * Requests awaiting the router's reply, and the offline queue: publishes and requests made while
 * the client is reconnecting wait here, in order, bounded by `maxQueued`, and go out as soon as
 * the router welcomes the client again.
 */
import { ConnectionError, ErrorCode, type HeraldError, type ServerMessage } from '@herald/protocol';

/** How a pending request ends when the connection drops. */
export type Survival =
  /** Rejected with CONNECTION_CLOSED (retryable): the router may or may not have handled it. */
  | 'fail'
  /** Dropped without settling: its owner sends it again after the reconnect (subscriptions...). */
  | 'resend';

export interface PendingReply {
  /** Runs synchronously when the reply frame is handled, before the frames after it. */
  resolve: (message: ServerMessage) => void;
  reject: (error: HeraldError) => void;
  /** Which error class the router's refusal becomes. */
  kind: 'publish' | 'subscription' | 'request' | 'other';
  survival: Survival;
}

interface Queued {
  /** Sends the frame built for the given id; called once the link is open again. */
  send: (id: number) => void;
  reject: (error: HeraldError) => void;
}

export class Outbox {
  readonly #pending = new Map<number, PendingReply>();
  #queue: Queued[] = [];
  #nextId = 1;
  readonly #maxQueued: number;

  constructor(maxQueued: number) {
    this.#maxQueued = maxQueued;
  }

  nextId(): number {
    return this.#nextId++;
  }

  expect(id: number, pending: PendingReply): void {
    this.#pending.set(id, pending);
  }

  /** Forgets a pending request (it timed out or was cancelled). Returns whether it was pending. */
  forget(id: number): boolean {
    return this.#pending.delete(id);
  }

  /** The pending request for a reply, removed; undefined for an unknown id (ignored, not fatal). */
  take(id: number): PendingReply | undefined {
    const pending = this.#pending.get(id);
    if (pending !== undefined) this.#pending.delete(id);
    return pending;
  }

  /** Queues a send for when the link is open again. Throws OFFLINE_QUEUE_FULL past `maxQueued`. */
  enqueue(send: (id: number) => void, reject: (error: HeraldError) => void): { cancel: () => boolean } {
    if (this.#queue.length >= this.#maxQueued) {
      throw new ConnectionError(ErrorCode.OFFLINE_QUEUE_FULL, `the offline queue holds ${this.#maxQueued} messages already (maxQueued)`, {
        retryable: true,
      });
    }
    const item: Queued = { send, reject };
    this.#queue.push(item);
    return {
      cancel: () => {
        const index = this.#queue.indexOf(item);
        if (index !== -1) this.#queue.splice(index, 1);
        return index !== -1;
      },
    };
  }

  /** Sends everything queued, in order. */
  flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const item of queue) item.send(this.nextId());
  }

  /** The connection dropped: fail what the router may have half handled, drop what is resent. */
  dropped(error: HeraldError): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      if (pending.survival === 'fail') pending.reject(error);
    }
  }

  /** The client closed for good: fail everything, queued or pending. */
  closed(error: HeraldError): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const item of queue) item.reject(error);
  }
}
