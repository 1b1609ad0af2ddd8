/**
 * Reconnecting against a real router (PROTOCOL.md §8 "Reconnect", §11): the states and reasons of
 * a cut, backoff with full jitter attempt by attempt (fake timers, injected random), maxAttempts,
 * reconnect off and final close codes, and what survives a reconnect: subscriptions (handler and
 * iterator), handlers, presence views, calls made while reconnecting.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, type Socket, connect as tcpConnect, createServer as createTcpServer } from 'node:net';
import { deferred, Log, reachState, rejection, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import {
  type Client,
  CloseCode,
  ConnectionError,
  type ConnectOptions,
  ErrorCode,
  type Member,
  type MessageMeta,
  type ReconnectAttempt,
  type Recovery,
  type StateChange,
  type Subscription,
  type WebSocketConstructor,
  connect,
} from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

// ---- helpers ----

type RouterOptions = NonNullable<Parameters<typeof startRouter>[0]>;

/** The client's `statechange` and `reconnect` events, recorded. */
function watch(client: Client): { states: Log<StateChange>; reconnects: Log<ReconnectAttempt> } {
  const states = new Log<StateChange>();
  const reconnects = new Log<ReconnectAttempt>();
  client.on('statechange', states.push);
  client.on('reconnect', reconnects.push);
  return { states, reconnects };
}

/** The subscription's next `recovery` event. */
function recovery(subscription: Subscription<unknown>): Promise<Recovery> {
  return new Promise((resolve) => subscription.once('recovery', resolve));
}

/** A promise's outcome, observable without awaiting it. */
function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { settled: () => settled, promise };
}

/** A WebSocket implementation (the public `WebSocket` option) that counts the sockets the client opens. */
function countingWebSocket(): { WebSocket: WebSocketConstructor; dials: () => number } {
  let dials = 0;
  const Base = WebSocket as unknown as WebSocketConstructor;
  class CountingWebSocket extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      dials++;
    }
  }
  return { WebSocket: CountingWebSocket, dials: () => dials };
}

/**
 * A router on an http server the test owns, with a gate: while `refuse(true)`, every new TCP
 * connection is destroyed at once (a connection attempt fails like one to a dead router), and the
 * router keeps its port.
 */
async function gatedRouter(options: RouterOptions = {}) {
  const server = createServer();
  let refusing = false;
  server.on('connection', (socket) => {
    if (refusing) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const router = await startRouter({ ...options, server });
  return {
    router,
    refuse(on: boolean): void {
      refusing = on;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await router.close();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * A TCP front for a router, on a port of its own: it forwards connections to the router, or, while
 * `answer(status)` is set, answers every new one with that HTTP status instead of the upgrade.
 */
async function httpFront(routerPort: number) {
  let status: number | undefined;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (status !== undefined) {
      const answer = status;
      socket.once('data', () => socket.end(`HTTP/1.1 ${answer} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
      return;
    }
    const upstream = tcpConnect(routerPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => {});
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    answer(next: number | undefined): void {
      status = next;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Options of a client whose reconnect delays are `floor(0.5 × min(maxDelayMs, minDelayMs × 2^(n-1)))`. */
function halfJitter(minDelayMs: number, maxDelayMs: number, extra: ConnectOptions = {}): ConnectOptions {
  return { random: () => 0.5, reconnect: { minDelayMs, maxDelayMs }, ...extra };
}

/** Collects a subscription's deliveries; `until(n)` resolves once n arrived. */
function deliveries(): { log: Log<[unknown, MessageMeta]>; handler: (data: unknown, meta: MessageMeta) => void } {
  const log = new Log<[unknown, MessageMeta]>();
  return { log, handler: (data, meta) => log.push([data, meta]) };
}

// ---- tests ----

describe('a network cut', () => {
  it('open → reconnecting (connection_lost, 1006), one attempt after the jittered delay, then open with its id resumed', async () => {
    await using router = await startRouter();
    const counting = countingWebSocket();
    await using client = await connect(router.url, halfJitter(1000, 8000, { WebSocket: counting.WebSocket }));
    const { states, reconnects } = watch(client);
    const oldId = client.id;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

    expect(router.disconnect(oldId, { terminate: true })).toBe(true);
    expect(await states.until(1)).toStrictEqual([{ from: 'open', to: 'reconnecting', reason: 'connection_lost', code: CloseCode.ABNORMAL }]);
    expect(client.state).toBe('reconnecting');
    expect(reconnects.values).toStrictEqual([{ attempt: 1, delayMs: 500 }]);

    await vi.advanceTimersByTimeAsync(499);
    expect(counting.dials()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(counting.dials()).toBe(2);
    expect((await states.until(2))[1]).toStrictEqual({ from: 'reconnecting', to: 'open', reason: 'welcomed' });
    expect(client.state).toBe('open');
    expect(client.id).toBe(oldId); // hello.resume: the same client, for presence and publish dedupe
    expect(router.clients().map((c) => c.id)).toStrictEqual([client.id]);
    expect(reconnects.values).toHaveLength(1);

    // The attempt counter starts again after a successful reconnect.
    router.disconnect(client.id, { terminate: true });
    await states.until(3);
    expect(reconnects.values).toStrictEqual([
      { attempt: 1, delayMs: 500 },
      { attempt: 1, delayMs: 500 },
    ]);
  });

  it('the statechange to open already shows the new id (a router that cannot resume the session)', async () => {
    await using first = await startRouter();
    await using second = await startRouter(); // another resumeSecret: the session cannot resume there
    await using client = await connect([first.url, second.url], { random: () => 0, randomizeUrls: false });
    const oldId = client.id;
    const seen = deferred<string>();
    client.on('statechange', (change) => {
      if (change.to === 'open') seen.resolve(client.id);
    });
    await first.close();
    const idInListener = await seen.promise;
    expect(client.id).not.toBe(oldId);
    expect(idInListener).toBe(client.id);
  });

  it('failed attempts back off with full jitter: random 0.5, 1000–8000 ms waits 500, 1000, 2000, 4000, 4000, 4000 ms', async () => {
    await using gated = await gatedRouter();
    const counting = countingWebSocket();
    await using client = await connect(gated.router.url, halfJitter(1000, 8000, { WebSocket: counting.WebSocket }));
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    gated.refuse(true);
    gated.router.disconnect(client.id, { terminate: true });
    await states.until(1);

    const expected = [500, 1000, 2000, 4000, 4000, 4000];
    for (const [index, delayMs] of expected.entries()) {
      const attempt = reconnects.values[index]!;
      expect(attempt.attempt).toBe(index + 1);
      expect(attempt.delayMs).toBe(delayMs);
      if (index === 0) {
        expect(attempt.error).toBeUndefined();
      } else {
        expect(attempt.error).toBeInstanceOf(ConnectionError);
        expect((attempt.error as ConnectionError).code).toBe(ErrorCode.CONNECTION_FAILED);
        expect((attempt.error as ConnectionError).retryable).toBe(true);
      }
      await vi.advanceTimersByTimeAsync(delayMs - 1);
      expect(counting.dials()).toBe(1 + index);
      await vi.advanceTimersByTimeAsync(1);
      expect(counting.dials()).toBe(2 + index);
      await reconnects.until(index + 2); // the attempt failed: the next one is scheduled
      expect(client.state).toBe('reconnecting');
    }

    // The router takes connections again: the 7th attempt (4000 ms) succeeds.
    expect(reconnects.values[6]).toMatchObject({ attempt: 7, delayMs: 4000 });
    gated.refuse(false);
    await vi.advanceTimersByTimeAsync(4000);
    await states.until(2);
    expect(states.values).toStrictEqual([
      { from: 'open', to: 'reconnecting', reason: 'connection_lost', code: CloseCode.ABNORMAL },
      { from: 'reconnecting', to: 'open', reason: 'welcomed' },
    ]);
    expect(counting.dials()).toBe(8);
    expect(reconnects.values.map((r) => r.attempt)).toStrictEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('the jitter spreads clients: each waits random × window, drawn from its own random()', async () => {
    await using router = await startRouter();
    const randoms = [0.1, 0.35, 0.9];
    const clients = await Promise.all(randoms.map((r) => connect(router.url, { random: () => r, reconnect: { minDelayMs: 1000, maxDelayMs: 1000 } })));
    try {
      const first = clients.map((client) => new Promise<ReconnectAttempt>((resolve) => client.once('reconnect', resolve)));
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      for (const client of clients) router.disconnect(client.id, { terminate: true });
      expect(await Promise.all(first)).toStrictEqual([
        { attempt: 1, delayMs: 100 },
        { attempt: 1, delayMs: 350 },
        { attempt: 1, delayMs: 900 },
      ]);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});

describe('giving up', () => {
  it('maxAttempts 3: three failed attempts, then closed with reconnect_failed, and no fourth attempt', async () => {
    await using gated = await gatedRouter();
    const counting = countingWebSocket();
    await using client = await connect(gated.router.url, {
      random: () => 0.5,
      reconnect: { minDelayMs: 100, maxDelayMs: 1000, maxAttempts: 3 },
      WebSocket: counting.WebSocket,
    });
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    gated.refuse(true);
    gated.router.disconnect(client.id, { terminate: true });
    await states.until(1);
    for (const [index, delayMs] of [50, 100, 200].entries()) {
      expect(reconnects.values[index]).toMatchObject({ attempt: index + 1, delayMs });
      await vi.advanceTimersByTimeAsync(delayMs);
      if (index < 2) await reconnects.until(index + 2);
    }
    expect(await states.until(2)).toStrictEqual([
      { from: 'open', to: 'reconnecting', reason: 'connection_lost', code: CloseCode.ABNORMAL },
      { from: 'reconnecting', to: 'closed', reason: 'reconnect_failed' },
    ]);
    expect(client.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reconnects.values.map((r) => r.attempt)).toStrictEqual([1, 2, 3]);
    expect(counting.dials()).toBe(4);
    expect(states.values).toHaveLength(2);
  });

  it('maxAttempts 3: calls queued or waiting while reconnecting reject with CONNECTION_CLOSED when it gives up', async () => {
    await using gated = await gatedRouter();
    await using client = await connect(gated.router.url, { random: () => 0.5, reconnect: { minDelayMs: 100, maxDelayMs: 1000, maxAttempts: 3 } });
    await client.methods(); // loads the request code (on first use) now, so the calls below queue at once
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    gated.refuse(true);
    gated.router.disconnect(client.id, { terminate: true });
    await states.until(1);

    const calls = {
      publish: rejection(client.publish('queued.topic', 1)),
      request: rejection(client.request('svc.any', 1, { timeout: 60_000 })),
      subscribe: rejection(client.subscribe('queued.topic')),
      presence: rejection(client.presence('queued.topic')),
      handle: rejection(client.handle('svc.mine', () => 1)),
    };
    await vi.advanceTimersByTimeAsync(50);
    await reconnects.until(2);
    await vi.advanceTimersByTimeAsync(100);
    await reconnects.until(3);
    await vi.advanceTimersByTimeAsync(200);
    await states.until(2);
    expect(states.values[1]).toStrictEqual({ from: 'reconnecting', to: 'closed', reason: 'reconnect_failed' });

    const outcomes: Record<string, [boolean, string]> = {};
    for (const [call, outcome] of Object.entries(calls)) {
      const error = await outcome;
      outcomes[call] = [error instanceof ConnectionError, (error as ConnectionError).code];
    }
    const expected: [boolean, string] = [true, ErrorCode.CONNECTION_CLOSED];
    expect(outcomes).toStrictEqual({ publish: expected, request: expected, subscribe: expected, presence: expected, handle: expected });
  });

  it('an HTTP refusal of the upgrade below 500 (404) ends reconnecting: closed, reconnect_failed, no further attempt', async () => {
    await using router = await startRouter();
    await using front = await httpFront(router.port);
    const counting = countingWebSocket();
    await using client = await connect(front.url, halfJitter(1000, 1000, { WebSocket: counting.WebSocket }));
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    front.answer(404);
    router.disconnect(client.id, { terminate: true });
    await states.until(1);
    await vi.advanceTimersByTimeAsync(500);
    expect((await states.until(2))[1]).toStrictEqual({ from: 'reconnecting', to: 'closed', reason: 'reconnect_failed' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reconnects.values.map((r) => r.attempt)).toStrictEqual([1]);
    expect(counting.dials()).toBe(2);
  });

  it('an HTTP refusal of the upgrade from 500 up (503) is retried, and the client gets back in once the router answers', async () => {
    await using router = await startRouter();
    await using front = await httpFront(router.port);
    await using client = await connect(front.url, halfJitter(1000, 1000));
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    front.answer(503);
    router.disconnect(client.id, { terminate: true });
    await states.until(1);
    await vi.advanceTimersByTimeAsync(500);
    await reconnects.until(2);
    expect(reconnects.values[1]!.error).toBeInstanceOf(ConnectionError);
    expect(reconnects.values[1]!.error).toMatchObject({ retryable: true });
    front.answer(undefined);
    await vi.advanceTimersByTimeAsync(500);
    expect((await states.until(2))[1]).toStrictEqual({ from: 'reconnecting', to: 'open', reason: 'welcomed' });
  });

  it('reconnect: false — a cut goes straight to closed (connection_lost, 1006), no attempt', async () => {
    await using router = await startRouter();
    const counting = countingWebSocket();
    await using client = await connect(router.url, { reconnect: false, WebSocket: counting.WebSocket });
    const { states, reconnects } = watch(client);
    const sub = await client.subscribe('gone.topic');
    const loop = rejection(
      (async () => {
        for await (const _ of sub);
      })(),
    );
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    router.disconnect(client.id, { terminate: true });
    expect(await states.until(1)).toStrictEqual([{ from: 'open', to: 'closed', reason: 'connection_lost', code: CloseCode.ABNORMAL }]);
    const error = await loop;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect((error as ConnectionError).closeCode).toBe(CloseCode.ABNORMAL);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reconnects.values).toStrictEqual([]);
    expect(counting.dials()).toBe(1);
    expect(states.values).toHaveLength(1);
    expect((await rejection(client.publish('gone.topic', 1))) as ConnectionError).toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });

  it('a final close code (router.disconnect: 1000) does not reconnect: open → closed, router_closed, 1000', async () => {
    await using router = await startRouter();
    const counting = countingWebSocket();
    await using client = await connect(router.url, { random: () => 0, WebSocket: counting.WebSocket });
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    router.disconnect(client.id);
    expect(await states.until(1)).toStrictEqual([{ from: 'open', to: 'closed', reason: 'router_closed', code: CloseCode.NORMAL }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reconnects.values).toStrictEqual([]);
    expect(counting.dials()).toBe(1);
  });

  it('a retryable close code from the router (4200) reconnects: open → reconnecting, router_closed, 4200', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, { random: () => 0 });
    const { states, reconnects } = watch(client);
    const oldId = client.id;
    router.disconnect(oldId, { code: 4200, reason: 'SLOW_CONSUMER: test' });
    expect(await states.until(2)).toStrictEqual([
      { from: 'open', to: 'reconnecting', reason: 'router_closed', code: 4200 },
      { from: 'reconnecting', to: 'open', reason: 'welcomed' },
    ]);
    expect(reconnects.values).toStrictEqual([{ attempt: 1, delayMs: 0 }]);
    expect(client.id).toBe(oldId);
  });

  it('a router at maxConnections (1013) during a reconnect: the attempt fails ROUTER_FULL (retryable) and the next one gets in', async () => {
    await using router = await startRouter({ maxConnections: 1 });
    await using client = await connect(router.url, halfJitter(1000, 1000));
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const oldId = client.id;
    const gone = new Promise<void>((resolve) => router.on('disconnect', (info) => info.id === oldId && resolve()));
    router.disconnect(oldId, { terminate: true });
    await states.until(1);
    await gone;
    const other = await connect(router.url); // takes the only slot
    await vi.advanceTimersByTimeAsync(500);
    await reconnects.until(2);
    const refused = reconnects.values[1]!;
    expect(refused).toMatchObject({ attempt: 2, delayMs: 500 });
    expect(refused.error).toBeInstanceOf(ConnectionError);
    expect(refused.error).toMatchObject({ code: ErrorCode.ROUTER_FULL, retryable: true, closeCode: CloseCode.TRY_AGAIN_LATER });
    expect(client.state).toBe('reconnecting');

    const otherId = other.id;
    const freed = new Promise<void>((resolve) => router.on('disconnect', (info) => info.id === otherId && resolve()));
    await other.close();
    await freed;
    await vi.advanceTimersByTimeAsync(500);
    expect((await states.until(2))[1]).toStrictEqual({ from: 'reconnecting', to: 'open', reason: 'welcomed' });
    expect(router.clients().map((c) => c.id)).toStrictEqual([client.id]);
  });

  it.each([
    ['router.close({ restart: true })', { restart: true }, CloseCode.SERVICE_RESTART],
    ['router.close()', {}, CloseCode.GOING_AWAY],
  ])('%s: open → reconnecting, router_closed, with its close code, and a first attempt is scheduled', async (_name, options, code) => {
    const router = await startRouter();
    await using client = await connect(router.url, { random: () => 0.5, reconnect: { minDelayMs: 1000, maxDelayMs: 1000 } });
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await router.close(options);
    expect(await states.until(1)).toStrictEqual([{ from: 'open', to: 'reconnecting', reason: 'router_closed', code }]);
    expect(reconnects.values).toStrictEqual([{ attempt: 1, delayMs: 500 }]);
  });
});

describe('close() while reconnecting', () => {
  it('stops retrying: reconnecting → closed (client_closed), no more attempts; queued calls reject CONNECTION_CLOSED', async () => {
    await using gated = await gatedRouter();
    const counting = countingWebSocket();
    const client = await connect(gated.router.url, halfJitter(1000, 8000, { WebSocket: counting.WebSocket }));
    const { states, reconnects } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    gated.refuse(true);
    gated.router.disconnect(client.id, { terminate: true });
    await states.until(1);
    await vi.advanceTimersByTimeAsync(500);
    await reconnects.until(2); // attempt 1 failed, attempt 2 waits 1000 ms
    const queued = rejection(client.publish('never.sent', 1));

    await client.close();
    expect(states.values[1]).toStrictEqual({ from: 'reconnecting', to: 'closed', reason: 'client_closed' });
    const error = await queued;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe(ErrorCode.CONNECTION_CLOSED);

    gated.refuse(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reconnects.values.map((r) => r.attempt)).toStrictEqual([1, 2]);
    expect(counting.dials()).toBe(2);
    expect(states.values).toHaveLength(2);
    expect(client.state).toBe('closed');
    expect(gated.router.clients()).toStrictEqual([]);
  });

  it('close() during an attempt in flight abandons it: never open again', async () => {
    await using router = await startRouter();
    const counting = countingWebSocket();
    const client = await connect(router.url, halfJitter(1000, 8000, { WebSocket: counting.WebSocket }));
    const { states } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    router.disconnect(client.id, { terminate: true });
    await states.until(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(counting.dials()).toBe(2); // the attempt's socket is connecting
    await client.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(states.values).toStrictEqual([
      { from: 'open', to: 'reconnecting', reason: 'connection_lost', code: CloseCode.ABNORMAL },
      { from: 'reconnecting', to: 'closed', reason: 'client_closed' },
    ]);
    expect(counting.dials()).toBe(2);
    // The router may have welcomed the attempt (a resume is welcomed in the upgrade's write) before
    // the client abandoned it: then it leaves when the abandoned socket's close arrives.
    if (router.clients().length > 0) {
      await new Promise<void>((resolve) => router.on('disconnect', () => router.clients().length === 0 && resolve()));
    }
    expect(router.clients()).toStrictEqual([]);
  });
});

describe('what survives a reconnect', () => {
  it('subscriptions: the same Subscription keeps delivering to its handler and its async iterator', async () => {
    await using router = await startRouter();
    await using subscriber = await connect(router.url, { random: () => 0 });
    await using publisher = await connect(router.url);
    const { log, handler } = deliveries();
    const sub = await subscriber.subscribe('news.>', handler);
    const iterator = sub[Symbol.asyncIterator]();
    await publisher.publish('news.a', 'before');
    await log.until(1);

    const oldId = subscriber.id;
    const recovered = recovery(sub);
    router.disconnect(oldId, { terminate: true });
    expect(await recovered).toStrictEqual({ recovered: true, gaps: [] });
    expect(subscriber.state).toBe('open');
    expect(subscriber.id).toBe(oldId);
    expect(sub.state).toBe('subscribed');
    expect(router.clients().find((c) => c.id === subscriber.id)?.subscriptions).toStrictEqual(['news.>']);

    await publisher.publish('news.b', 'after');
    await log.until(2);
    expect(log.values.map(([data, meta]) => [data, meta.topic, meta.offset])).toStrictEqual([
      ['before', 'news.a', 1],
      ['after', 'news.b', 1],
    ]);
    expect((await iterator.next()).value).toMatchObject({ data: 'before', meta: { topic: 'news.a' } });
    expect((await iterator.next()).value).toMatchObject({ data: 'after', meta: { topic: 'news.b' } });
  });

  it('handlers: another client’s request reaches the provider after it reconnected', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider', random: () => 0 });
    await using caller = await connect(router.url);
    const served: string[] = [];
    await provider.handle('svc.echo', (params, ctx) => {
      served.push(ctx.caller.id);
      return { echo: params };
    });
    expect(await caller.request('svc.echo', 'one')).toStrictEqual({ echo: 'one' });

    const oldId = provider.id;
    const reopened = reachState(provider, 'open');
    router.disconnect(oldId, { terminate: true });
    await reopened;
    await provider.ping(); // the `handle` sent after the welcome was read before this ping
    expect(router.methods().find((m) => m.method === 'svc.echo')?.providers.map((p) => p.id)).toStrictEqual([provider.id]);
    expect(await caller.request('svc.echo', 'two')).toStrictEqual({ echo: 'two' });
    expect(served).toStrictEqual([caller.id, caller.id]);
  });

  it('presence views resync: a member that left while away gets leave (dropped), one that joined gets join', async () => {
    await using router = await startRouter();
    await using watcher = await connect(router.url, halfJitter(1000, 1000, { name: 'watcher' }));
    await using b = await connect(router.url, { name: 'b' });
    const c = await connect(router.url, { name: 'c' });
    await b.subscribe('room');
    await c.subscribe('room');
    const view = await watcher.presence('room');
    expect(view.members().map((m) => m.name)).toStrictEqual(['b', 'c']);
    const joins = new Log<Member>();
    const leaves = new Log<[Member, string]>();
    view.on('join', joins.push);
    view.on('leave', (member, reason) => leaves.push([member, reason]));

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { states } = watch(watcher);
    router.disconnect(watcher.id, { terminate: true });
    await states.until(1);
    const cId = c.id;
    await c.close();
    await using d = await connect(router.url, { name: 'd' });
    await d.subscribe('room');
    expect(joins.values).toStrictEqual([]);
    expect(leaves.values).toStrictEqual([]);

    await vi.advanceTimersByTimeAsync(500);
    await joins.until(1);
    await leaves.until(1);
    expect(leaves.values.map(([m, reason]) => [m.id, m.name, reason])).toStrictEqual([[cId, 'c', 'dropped']]);
    expect(joins.values.map((m) => [m.id, m.name])).toStrictEqual([[d.id, 'd']]);
    expect(view.members().map((m) => [m.id, m.name])).toStrictEqual([
      [b.id, 'b'],
      [d.id, 'd'],
    ]);
    expect(view.isOpen).toBe(true);
    expect((await router.presence('room')).map((m) => m.id).sort()).toStrictEqual([b.id, d.id].sort());
  });
});

describe('calls made while reconnecting', () => {
  it('subscribe(), presence() and handle() wait for the reconnect, then resolve and work', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, halfJitter(1000, 1000));
    await using member = await connect(router.url, { name: 'member' });
    await using other = await connect(router.url);
    await member.subscribe('lobby');
    const { states } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    router.disconnect(client.id, { terminate: true });
    await states.until(1);

    const { log, handler } = deliveries();
    const sub = track(client.subscribe('later.topic', handler));
    const view = track(client.presence('lobby'));
    const registration = track(client.handle('svc.double', (n) => (n as number) * 2));
    await vi.advanceTimersByTimeAsync(499);
    expect([sub.settled(), view.settled(), registration.settled()]).toStrictEqual([false, false, false]);

    await vi.advanceTimersByTimeAsync(1);
    const [subscription, presence, handle] = await Promise.all([sub.promise, view.promise, registration.promise]);
    expect(client.state).toBe('open');
    expect(subscription.state).toBe('subscribed');
    expect(presence.members().map((m) => [m.id, m.name])).toStrictEqual([[member.id, 'member']]);
    expect(handle.method).toBe('svc.double');

    await other.publish('later.topic', 'hello');
    expect((await log.until(1)).map(([data, meta]) => [data, meta.replayed])).toStrictEqual([['hello', false]]);
    expect(await other.request('svc.double', 21)).toBe(42);
  });

  it('what is ended while reconnecting stays ended: an unsubscribed subscription, a closed view, an unregistered handler', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, halfJitter(1000, 1000));
    await using other = await connect(router.url);
    const gone = deliveries();
    const kept = deliveries();
    const goneSub = await client.subscribe('gone.topic', gone.handler);
    await client.subscribe('kept.topic', kept.handler);
    const goneView = await client.presence('gone.room');
    const viewEvents: string[] = [];
    goneView.on('join', (m) => viewEvents.push(`join ${m.id}`));
    const goneHandler = await client.handle('svc.gone', () => 'gone');
    await client.handle('svc.kept', () => 'kept');
    const { states } = watch(client);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    router.disconnect(client.id, { terminate: true });
    await states.until(1);

    await goneSub.unsubscribe();
    await goneView.close();
    await goneHandler.unregister();
    expect(goneSub.state).toBe('unsubscribed');
    expect(goneView.isOpen).toBe(false);

    await vi.advanceTimersByTimeAsync(500);
    await states.until(2);
    await client.ping(); // everything sent after the welcome was read before this ping
    expect(router.clients().find((c) => c.id === client.id)?.subscriptions).toStrictEqual(['kept.topic']);
    const methods = router.methods();
    expect(methods.find((m) => m.method === 'svc.gone')).toBeUndefined();
    expect(methods.find((m) => m.method === 'svc.kept')?.providers.map((p) => p.id)).toStrictEqual([client.id]);

    await other.subscribe('gone.room');
    await other.publish('gone.topic', 'not for it');
    await other.publish('kept.topic', 'for it');
    await kept.log.until(1);
    await client.ping();
    expect(gone.log.values).toStrictEqual([]);
    expect(viewEvents).toStrictEqual([]);
    expect(await other.request('svc.kept', null)).toBe('kept');
  });

  it('subscribe() and handle() whose reply the cut swallowed resolve after the reconnect', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, { random: () => 0 });
    await using other = await connect(router.url);
    const { log, handler } = deliveries();
    const sub = client.subscribe('inflight.topic', handler);
    const registration = client.handle('svc.inflight', () => 'served');
    router.disconnect(client.id, { terminate: true }); // same tick: the replies cannot arrive
    const [subscription] = await Promise.all([sub, registration]);
    expect(client.state).toBe('open');
    expect(subscription.state).toBe('subscribed');
    await other.publish('inflight.topic', 1);
    await log.until(1);
    expect(await other.request('svc.inflight', null)).toBe('served');
  });

  it('presence() whose snapshot the cut swallowed resolves after the reconnect', { timeout: 5_000 }, async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, { random: () => 0 });
    await using member = await connect(router.url, { name: 'member' });
    await member.subscribe('inflight.room');
    const view = client.presence('inflight.room');
    const reopened = reachState(client, 'open');
    router.disconnect(client.id, { terminate: true }); // same tick: the snapshot cannot arrive
    await reopened;
    const presence = await view;
    expect(presence.isOpen).toBe(true);
    expect(presence.members().map((m) => m.id)).toStrictEqual([member.id]);
  });
});
