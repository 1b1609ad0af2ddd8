/**
 * What every benchmarked system provides: a server that publishes (one encoding per publish, fanned
 * out to every subscriber of the topic) and a client that connects and optionally subscribes.
 * The scenarios only ever talk to these two interfaces, so each system runs the same code path.
 */

export const SYSTEMS = ['herald', 'socketio', 'ws-json', 'ws-superjson'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const SYSTEM_LABELS: Readonly<Record<SystemName, string>> = {
  herald: 'Herald',
  socketio: 'Socket.IO',
  'ws-json': 'ws+JSON',
  'ws-superjson': 'ws+superjson',
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
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Subscribe to this topic once connected; without it the client stays idle. */
  topic?: string;
  onMessage?: (data: BenchPayload) => void;
  onError?: (error: unknown) => void;
}

export interface BenchClient {
  close(): void;
}

export interface SystemAdapter {
  startServer(options: { onError: (error: unknown) => void }): Promise<BenchServer>;
  /** Resolves once connected (and subscribed, with `topic`); rejects on failure or after `timeoutMs`. */
  connect(url: string, options: ClientOptions, timeoutMs: number): Promise<BenchClient>;
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
