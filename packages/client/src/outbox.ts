/**
 * Requests awaiting the router's reply, and the offline queue: publishes and requests made while
 * the client is reconnecting wait here, in order, bounded by `maxQueued`, and go out as soon as
 * the router welcomes the client again.
 */
import {
  ConnectionError,
  HeraldError,
  ProtocolError,
  type ServerMessage,
  SubscriptionError,
  TimeoutError,
  VERBOSE_ERRORS,
  encodeTextFrame,
} from '@herald/protocol';
import type { ClientState } from './state.js';

/** The router's messages that answer one of this client's requests, found by their id. */
export type Reply = Extract<
  ServerMessage,
  {
    type: 'subscribed' | 'unsubscribed' | 'publish_ack' | 'presence_unwatched' | 'pong' | 'refreshed' | 'handled' | 'unhandled' | 'methods' | 'response' | 'response_error';
  }
>;

/** Undoing something on a connection that closed meanwhile is moot: the router undid it already. */
export function ignoreClosed(error: unknown): void {
  if (!(error instanceof ConnectionError && error.code === 'CONNECTION_CLOSED')) throw error;
}

/** Requests the client sends that expect a reply. */
export type Outgoing =
  | { type: 'subscribe'; pattern: string }
  | { type: 'unsubscribe'; pattern: string }
  | { type: 'presence_watch'; topic: string; count?: true }
  | { type: 'presence_unwatch'; topic: string }
  | { type: 'handle'; method: string }
  | { type: 'unhandle'; method: string }
  | { type: 'list_methods' }
  | { type: 'ping' }
  | { type: 'refresh'; token: string };

/** A message sent now or queued for after a reconnect. */
export interface Sent {
  promise: Promise<ServerMessage>;
  /** The id it went out with, once sent. */
  id: number | undefined;
  /** Takes it back if it is still queued or unanswered; false when it already settled. */
  cancel: () => boolean;
  reject: (error: HeraldError) => void;
}

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
  /** A publish with a `pid`: sent again after a resumed reconnect (exactly-once publish). */
  retry?: Unacked;
}

/** A publish the connection dropped before its ack: resent with the same `pid` if the session resumes. */
interface Unacked {
  send: (id: number) => void;
  reject: (error: HeraldError) => void;
  /** When it was first sent (Date.now()): the router's dedupe window runs from about then. */
  sentAt: number;
}

const RETRYABLE: ReadonlySet<string> = new Set(['INTERNAL_ERROR', 'HANDLER_GONE', 'REQUEST_LIMIT', 'ENGINE_UNAVAILABLE', 'RATE_LIMITED']);

interface Queued {
  /** Sends the frame built for the given id; called once the link is open again. */
  send: (id: number) => void;
  reject: (error: HeraldError) => void;
}

/** What the outbox sends through: the client's link. */
export interface Wire {
  readonly state: ClientState;
  /** Sends a frame if the link is open. Returns whether it was sent. */
  send(frame: string): boolean;
}

export class Outbox {
  readonly #pending = new Map<number, PendingReply>();
  #queue: Queued[] = [];
  #unacked: Unacked[] = [];
  #nextId = 1;
  readonly #maxQueued: number;
  readonly #wire: Wire;

  constructor(maxQueued: number, wire: Wire) {
    this.#maxQueued = maxQueued;
    this.#wire = wire;
  }

  /** Sends a request whose reply settles the Promise; refused at once unless the link is open. */
  request(message: Outgoing, kind: PendingReply['kind'], survival: Survival, onReply?: (reply: ServerMessage) => void): Promise<ServerMessage> {
    const state = this.#wire.state;
    if (state !== 'open') {
      return Promise.reject(new ConnectionError('CONNECTION_CLOSED', VERBOSE_ERRORS ? `the client is ${state}` : state, { retryable: state === 'reconnecting' }));
    }
    const id = this.nextId();
    return new Promise((resolve, reject) => {
      const settle = onReply === undefined ? resolve : (reply: ServerMessage) => (onReply(reply), resolve(reply));
      this.expect(id, { resolve: settle, reject, kind, survival });
      this.#wire.send(encodeTextFrame({ ...message, id }));
    });
  }

  /**
   * Sends now if open, or queues for after the reconnect. `cancel` takes it back if still unsettled.
   * `retry`: the frame carries a publish id, so it may be sent again after a resumed reconnect.
   */
  sendOrQueue(build: (id: number) => string, kind: 'publish' | 'request', retry = false): Sent {
    let resolve!: (message: ServerMessage) => void;
    let reject!: (error: HeraldError) => void;
    const promise = new Promise<ServerMessage>((res, rej) => ((resolve = res), (reject = rej)));
    const sent: Sent = { promise, id: undefined, reject, cancel: () => false };
    let unacked: Unacked | undefined;
    const send = (id: number): void => {
      sent.id = id;
      sent.cancel = () => this.forget(id);
      if (retry) unacked ??= { send, reject, sentAt: Date.now() };
      this.expect(id, { resolve, reject, kind, survival: 'fail', ...(unacked && { retry: unacked }) });
      this.#wire.send(build(id));
    };
    if (this.#wire.state === 'open') send(this.nextId());
    else sent.cancel = this.enqueue(send, reject).cancel;
    return sent;
  }

  /**
   * The router refused request `id`: it rejects with the error class of what was refused, and the
   * router's `retryAfterMs` hint (`RATE_LIMITED`) as the error's.
   */
  refuse(id: number, code: string, message: string, retryAfterMs?: number): void {
    const pending = this.take(id);
    if (pending === undefined) return; // a call that timed out or was cancelled: ignored
    const options = { retryable: RETRYABLE.has(code), retryAfterMs };
    if (code === 'TIMEOUT') pending.reject(new TimeoutError(code, message, { retryable: true }));
    else if (pending.kind === 'subscription') pending.reject(new SubscriptionError(code, message, options));
    else if (pending.kind === 'publish' && !options.retryable) pending.reject(new ProtocolError(code, message, options));
    else pending.reject(new HeraldError(code, message, options));
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
      throw new ConnectionError('OFFLINE_QUEUE_FULL', VERBOSE_ERRORS ? `the offline queue holds ${this.#maxQueued} messages already (maxQueued)` : '', {
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

  /**
   * Sends everything queued, in order, after the publishes the drop left unacknowledged: those go
   * again with their `pid` when the session resumed (`dedupeMs`: the router's window) and less than
   * half that window has passed since they were first sent; otherwise they reject CONNECTION_CLOSED.
   */
  flush(dedupeMs: number | undefined): void {
    const unacked = this.#unacked;
    const queue = this.#queue;
    this.#unacked = [];
    this.#queue = [];
    for (const item of unacked) {
      if (dedupeMs !== undefined && Date.now() - item.sentAt < dedupeMs / 2) item.send(this.nextId());
      else item.reject(new ConnectionError('CONNECTION_CLOSED', VERBOSE_ERRORS ? 'the connection dropped before the ack and the publish cannot be retried safely: it may or may not have been published' : 'unacked', { retryable: true }));
    }
    for (const item of queue) item.send(this.nextId());
  }

  /**
   * The connection dropped: fail what the router may have half handled, drop what is resent, keep
   * the publishes with a `pid` for `flush` when the router dedupes (`dedupeMs` defined).
   */
  dropped(error: HeraldError, dedupeMs: number | undefined): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      if (pending.retry !== undefined && dedupeMs !== undefined) this.#unacked.push(pending.retry);
      else if (pending.survival === 'fail') pending.reject(error);
    }
  }

  /** The client closed for good: fail everything, queued or pending. */
  closed(error: HeraldError): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const item of this.#unacked.splice(0)) item.reject(error);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const item of queue) item.reject(error);
  }
}
