/**
 * What every benchmarked system provides: a server that publishes (one encoding per publish, fanned
 * out to every subscriber of the topic) and relays requests from callers to a provider, and clients
 * that subscribe, provide a method or call it. The scenarios only ever talk to these interfaces, so
 * each system runs the same code path.
 */

export const SYSTEMS = ['herald', 'socketio', 'ws-json', 'ws-superjson', 'ws-superjson-corked', 'ws-json-frame-once', 'nats', 'herald-contract'] as const;
/** What runs without `--systems`: every system but `herald-contract` (the cost of a contract, only when asked for). */
export const DEFAULT_SYSTEMS: readonly SystemName[] = ['herald', 'socketio', 'ws-json', 'ws-superjson', 'ws-superjson-corked', 'ws-json-frame-once', 'nats'];
export type SystemName = (typeof SYSTEMS)[number];

export const SYSTEM_LABELS: Readonly<Record<SystemName, string>> = {
  herald: 'Herald',
  socketio: 'Socket.IO',
  'ws-json': 'ws+JSON',
  'ws-superjson': 'ws+superjson',
  'ws-superjson-corked': 'ws+sj corked',
  'ws-json-frame-once': 'ws+JSON frame-once',
  nats: 'NATS',
  'herald-contract': 'Herald+contract',
};

export function isSystemName(name: string): name is SystemName {
  return (SYSTEMS as readonly string[]).includes(name);
}

/** The message every scenario publishes. JSON systems deliver `at` as an ISO string. */
export interface BenchPayload {
  /** 1, 2, 3... per server process: subscribers use it to tell what every client has received. */
  seq: number;
  /** Wall time of the publish, `performance.timeOrigin + performance.now()`, in milliseconds. */
  sentAt: number;
  at: Date | string;
  text: string;
}

export interface BenchServer {
  /** The URL the system's clients connect to. */
  readonly url: string;
  /** Publishes from the server itself: encode once, send to every subscriber of `topic`. Never throws. */
  publish(topic: string, data: BenchPayload): void;
  /**
   * Cuts every client's connection the way a network failure would (no close frame), so that
   * they reconnect and recover. Only systems with recovery have it (Herald). Returns how many.
   */
  cutAll?(): number;
  /**
   * The pid of the process that routes, when it is not this one (NATS: the broker). Its CPU is
   * added to this process's as router CPU, and its RSS to this process's.
   */
  readonly externalPid?: number | undefined;
  close(): Promise<void>;
}

export interface ServerOptions {
  onError: (error: unknown) => void;
  /** Messages of history kept per topic, for recovery (Herald only). Default: the system's own. */
  historyLimit?: number;
  /**
   * The router's heartbeat interval, in ms (Herald only; the timeout is three of them). Default: the
   * router's own (10 s). The idle scenario sets one longer than its run: see scenarios/idle.ts.
   */
  heartbeatIntervalMs?: number;
}

export interface ClientOptions {
  /**
   * Subscribe to this topic once connected, or to each of these (topics and patterns scenarios;
   * patterns are wildcards only for systems that have them); without it the client stays idle.
   */
  topic?: string | readonly string[];
  onMessage?: (data: BenchPayload) => void;
  onError?: (error: unknown) => void;
  /**
   * Called each time the client is connected again after losing its connection (Herald: welcomed
   * again, before it resubscribes). With it, the client reconnects at once, without backoff.
   */
  onReconnected?: () => void;
}

export interface BenchClient {
  close(): void;
}

/** The method the requests scenario calls: the provider answers with the params it got. */
export const ECHO_METHOD = 'bench.echo';

/** `ClientOptions.topic` as a list. */
export function topicList(topic: string | readonly string[] | undefined): readonly string[] {
  return topic === undefined ? [] : typeof topic === 'string' ? [topic] : topic;
}

/** A client that calls `bench.echo`. */
export interface BenchCaller extends BenchClient {
  /** Resolves with the provider's answer; rejects on an error or after `timeoutMs`. */
  request(params: BenchPayload, timeoutMs: number): Promise<BenchPayload>;
}

export interface SystemAdapter {
  startServer(options: ServerOptions): Promise<BenchServer>;
  /** Resolves once connected (and subscribed, with `topic`); rejects on failure or after `timeoutMs`. */
  connect(url: string, options: ClientOptions, timeoutMs: number): Promise<BenchClient>;
  /**
   * Connects a client that provides `bench.echo` (answers every request with its params, decoded
   * and encoded again by the client library). Resolves once requests are routed to it.
   */
  provide(url: string, options: Pick<ClientOptions, 'onError'>, timeoutMs: number): Promise<BenchClient>;
  /** Connects a client that calls `bench.echo` through the server. */
  caller(url: string, options: Pick<ClientOptions, 'onError'>, timeoutMs: number): Promise<BenchCaller>;
}

export async function loadSystem(name: SystemName): Promise<SystemAdapter> {
  switch (name) {
    case 'herald':
      return (await import('./herald.js')).herald;
    case 'socketio':
      return (await import('./socketio.js')).socketio;
    case 'ws-json':
      return (await import('./ws-raw.js')).wsJson;
    case 'ws-superjson':
      return (await import('./ws-raw.js')).wsSuperjson;
    case 'ws-superjson-corked':
      return (await import('./ws-raw.js')).wsSuperjsonCorked;
    case 'ws-json-frame-once':
      return (await import('./ws-raw.js')).wsJsonFrameOnce;
    case 'nats':
      return (await import('./nats.js')).nats;
    case 'herald-contract':
      return (await import('./herald.js')).heraldContract;
  }
}

/** Rejects with a timeout error unless `promise` settles within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
