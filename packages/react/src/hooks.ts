/**
 * The hooks, untyped (payloads `unknown`): `index.ts` and `createHeraldHooks` give them their types.
 * Every hook reads the provider's client; without one (server rendering, or before a `url`
 * provider connected) they return their idle state and open nothing.
 */
import {
  type Client,
  type ClientState,
  ConnectionError,
  ErrorCode,
  HeraldError,
  type PublishAck,
  type RequestOptions,
} from '@herald/client';
import { type OptionSpec, checkOptions } from '@herald/protocol';
import { useCallback, useContext, useMemo, useState, useSyncExternalStore } from 'react';
import { HeraldContext } from './provider.js';
import { IDLE_PRESENCE, IDLE_SUBSCRIPTION, type PresenceSnapshot, type SubscriptionSnapshot, storeOf } from './store.js';

/** Options of `useSubscription`. */
export interface UseSubscriptionOptions {
  /**
   * Keep the last `keep` messages in `messages` (oldest first). Default 0: only the latest one, in
   * `data` and `meta`. An integer from 0 to {@link MAX_KEEP} (`OPTION_INVALID` otherwise).
   */
  keep?: number;
  /**
   * Start with the last `rewind` messages the router's history holds for each matching topic. Only
   * the component that starts the shared subscription decides it; later ones see the latest value.
   */
  rewind?: number;
  /** `false`: do not subscribe (yet); the result stays `idle`. Default `true`. */
  enabled?: boolean;
}

/** The largest `keep` of `useSubscription`: the list is copied on every message. */
export const MAX_KEEP = 10_000;

/**
 * The ranges of `useSubscription`'s own number options (`rewind` is the client's: `subscribe`
 * checks it). A value outside throws `OPTION_INVALID` (a `HeraldError`) from the render.
 */
export const SUBSCRIPTION_HOOK_OPTION_RANGES = { keep: [0, MAX_KEEP] } as const satisfies { readonly [K in keyof UseSubscriptionOptions]?: OptionSpec };

/** `ClientState`, or `idle` when there is no client (server rendering, or not connected yet). */
export type ConnectionStatus = ClientState | 'idle';

/** What a call hook (`usePublish`, `useRequest`) tells about its calls. */
export interface CallState<R> {
  /** True while a call is in flight. */
  pending: boolean;
  /** The last call's error; cleared when the next call starts. */
  error: HeraldError | undefined;
  /** The last call's result. */
  data: R | undefined;
  /** Clears `error` and `data`. */
  reset(): void;
}

const idleSubscribe = (): (() => void) => () => undefined;
const idleSubscription = (): SubscriptionSnapshot<never> => IDLE_SUBSCRIPTION;
const idlePresence = (): PresenceSnapshot => IDLE_PRESENCE;
const idleState = (): ConnectionStatus => 'idle';

/** The provider's client, or `undefined` (server rendering, before a `url` provider connected). */
export function useHeraldImpl(): Client | undefined {
  return useContext(HeraldContext);
}

export function useSubscriptionImpl(pattern: string, options: UseSubscriptionOptions = {}): SubscriptionSnapshot<unknown> {
  const client = useContext(HeraldContext);
  const enabled = options.enabled ?? true;
  const keep = options.keep ?? 0;
  checkOptions('useSubscription', options, SUBSCRIPTION_HOOK_OPTION_RANGES);
  const { rewind } = options;
  const entry = useMemo(
    () => (client !== undefined && enabled ? storeOf(client).topic(pattern, rewind, keep) : undefined),
    [client, enabled, pattern, rewind, keep],
  );
  const snapshot = useSyncExternalStore(entry?.subscribe ?? idleSubscribe, entry?.getSnapshot ?? idleSubscription, idleSubscription);
  // The shared entry keeps what the most demanding component asked for; this one sees its own `keep`.
  return useMemo(
    () => (snapshot.messages.length > keep ? { ...snapshot, messages: keep === 0 ? [] : snapshot.messages.slice(-keep) } : snapshot),
    [snapshot, keep],
  );
}

export function usePresenceImpl(topic: string, options: { enabled?: boolean } = {}): PresenceSnapshot {
  const client = useContext(HeraldContext);
  const enabled = options.enabled ?? true;
  const entry = useMemo(() => (client !== undefined && enabled ? storeOf(client).presence(topic) : undefined), [client, enabled, topic]);
  return useSyncExternalStore(entry?.subscribe ?? idleSubscribe, entry?.getSnapshot ?? idlePresence, idlePresence);
}

export function useConnectionStateImpl(): ConnectionStatus {
  const client = useContext(HeraldContext);
  const subscribe = useCallback((onChange: () => void) => (client === undefined ? () => undefined : client.on('statechange', onChange)), [client]);
  const getSnapshot = useCallback((): ConnectionStatus => client?.state ?? 'idle', [client]);
  return useSyncExternalStore(subscribe, getSnapshot, idleState);
}

interface Calls<R> {
  inFlight: number;
  error: HeraldError | undefined;
  data: R | undefined;
}

/**
 * Runs calls against the client and keeps their state. A call never rejects: it resolves with the
 * result, or with `undefined` and the error in `error` (so `onClick={() => publish(...)}` is safe).
 */
function useCalls<A extends unknown[], R>(run: (client: Client, ...args: A) => Promise<R>, key: string): CallState<R> & { call: (...args: A) => Promise<R | undefined> } {
  const client = useContext(HeraldContext);
  const [calls, setCalls] = useState<Calls<R>>({ inFlight: 0, error: undefined, data: undefined });
  const call = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setCalls((c) => ({ ...c, inFlight: c.inFlight + 1, error: undefined }));
      try {
        if (client === undefined) throw new ConnectionError(ErrorCode.CONNECTION_CLOSED, 'no Herald client: render inside a HeraldProvider, and call once it connected');
        await client.opened;
        const data = await run(client, ...args);
        setCalls((c) => ({ inFlight: c.inFlight - 1, error: undefined, data }));
        return data;
      } catch (error) {
        const herald = error instanceof HeraldError ? error : new HeraldError(ErrorCode.SUBSCRIBER_ERROR, String(error), { cause: error });
        setCalls((c) => ({ ...c, inFlight: c.inFlight - 1, error: herald }));
        return undefined;
      }
    },
    // `run` depends on nothing but `key` (the method of a request).
    [client, key],
  );
  const reset = useCallback(() => setCalls((c) => ({ ...c, error: undefined, data: undefined })), []);
  return { call, pending: calls.inFlight > 0, error: calls.error, data: calls.data, reset };
}

const publishRun = (client: Client, topic: string, data: unknown): Promise<PublishAck> => client.publish(topic, data);

export function usePublishImpl(): CallState<PublishAck> & { publish: (topic: string, data: unknown) => Promise<PublishAck | undefined> } {
  const { call, ...state } = useCalls(publishRun, '');
  return { ...state, publish: call };
}

export function useRequestImpl(
  method: string,
): CallState<unknown> & { request: (params: unknown, options?: RequestOptions) => Promise<unknown> } {
  const run = (client: Client, params: unknown, options?: RequestOptions): Promise<unknown> => client.request(method, params, options);
  const { call, ...state } = useCalls(run, method);
  return { ...state, request: call };
}
