/**
 * The hooks with their types: payloads, params and results come from a Schema, checked the way
 * `@herald/client` checks them (an unknown topic or method is a compile error).
 */
import type { Client, PublishAck, RequestOptions } from '@herald/client';
import type {
  Covered,
  DefaultSchema,
  HeraldSchema,
  KnownMethod,
  ParamsOf,
  PublishData,
  ResultOf,
  SubscribeData,
} from '@herald/protocol';
import {
  type CallState,
  type ConnectionStatus,
  type UseSubscriptionOptions,
  useConnectionStateImpl,
  useHeraldImpl,
  usePresenceImpl,
  usePublishImpl,
  useRequestImpl,
  useSubscriptionImpl,
} from './hooks.js';
import type { PresenceSnapshot, SubscriptionSnapshot } from './store.js';

/** What `usePublish` returns: `publish` and the state of its calls (`data` is the last ack). */
export interface PublishState<S extends HeraldSchema> extends CallState<PublishAck> {
  /**
   * Publishes (once the client is connected). Never rejects: resolves with the router's ack, or
   * with `undefined` and the error in `error` (`PAYLOAD_INVALID`, `VALIDATION_FAILED`...).
   */
  publish<T extends string>(topic: T & Covered<S, T>, data: PublishData<S, T>): Promise<PublishAck | undefined>;
}

/** What `useRequest(method)` returns: `request` and the state of its calls (`data` is the last result). */
export interface RequestState<S extends HeraldSchema, M extends string> extends CallState<ResultOf<S, M>> {
  /** Calls the method. Never rejects: resolves with the result, or with `undefined` and the error in `error`. */
  request(params: ParamsOf<S, M>, options?: RequestOptions): Promise<ResultOf<S, M> | undefined>;
}

/** The hooks, typed by Schema `S`: from {@link createHeraldHooks}. */
export interface HeraldHooks<S extends HeraldSchema> {
  /** The provider's client; `undefined` during server rendering and until a `url` provider connected. */
  useHerald(): Client<S> | undefined;
  /**
   * Subscribes to `pattern`: once per client however many components use it, released when the
   * last one unmounts. Returns the latest message (`data`, `meta`), the last `keep` messages, and
   * the subscription's state. Re-renders on every message.
   */
  useSubscription<P extends string>(pattern: P & Covered<S, P>, options?: UseSubscriptionOptions): SubscriptionSnapshot<SubscribeData<S, P>>;
  /** Who is subscribed to `topic` (members and count), re-rendering on every join and leave. */
  usePresence(topic: string, options?: { enabled?: boolean }): PresenceSnapshot;
  /** The client's state (`connecting`, `open`, `reconnecting`, `closed`), or `idle` without a client. */
  useConnectionState(): ConnectionStatus;
  /** A `publish` function with pending and error state. */
  usePublish(): PublishState<S>;
  /** A `request` function for `method` with pending, error and result state. */
  useRequest<M extends string>(method: M & KnownMethod<S, M>): RequestState<S, M>;
}

const HOOKS = {
  useHerald: useHeraldImpl,
  useSubscription: useSubscriptionImpl,
  usePresence: usePresenceImpl,
  useConnectionState: useConnectionStateImpl,
  usePublish: usePublishImpl,
  useRequest: useRequestImpl,
};

/**
 * The hooks typed by a Schema (a type, or `SchemaOf<typeof contract>`): one call per app, in a
 * module of its own.
 *
 * @example
 * import { createHeraldHooks } from '@herald/react';
 * type Schema = { topics: { 'sensors.*.temp': { at: Date; celsius: number } } };
 * export const { useSubscription, usePublish } = createHeraldHooks<Schema>();
 * // in a component: const { data } = useSubscription('sensors.*.temp'); data?.celsius is a number
 */
export function createHeraldHooks<S extends HeraldSchema = DefaultSchema>(): HeraldHooks<S> {
  // One implementation for every schema: the types are all the difference.
  return HOOKS as unknown as HeraldHooks<S>;
}
