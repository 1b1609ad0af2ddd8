/**
 * The client's own heartbeat (PROTOCOL.md §8 "Heartbeats"), as a browser runs it: the client uses
 * `BrowserLikeWebSocket` (no ws-only features, no ping frames visible). Against a fake router
 * that welcomes and then stays silent, the client pings after `heartbeatMs` of silence and gives up
 * after `heartbeatTimeoutMs` (`heartbeat_timeout`, then reconnects); against a real router that
 * answers, it never trips; the `heartbeatTimeoutMs` option overrides the router's value, and one
 * not above the router's interval never trips at the first quiet tick (where it pings).
 * Fake setTimeout and setInterval, installed before connecting (the heartbeat starts at the welcome).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { BrowserLikeWebSocket, Log, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Client, type ConnectOptions, type StateChange, connect } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

const PING = '{"type":"ping","id":0}';
const PONG = '{"type":"pong","id":0}';
const SUBPROTOCOL = 'herald.v1.superjson';

// ---- helpers ----

type MessageListener = (event: { data: unknown }) => void;

/**
 * A browser-like WebSocket that records what the client sends and, after the client handled it,
 * every text frame it receives.
 */
function probeSocket() {
  const sent = new Log<string>();
  const received = new Log<string>();
  class ProbeWebSocket extends BrowserLikeWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      let listener: MessageListener | null = null;
      Object.defineProperty(this, 'onmessage', {
        configurable: true,
        enumerable: true,
        get: () => listener,
        set: (next: MessageListener | null) => {
          listener =
            next === null
              ? null
              : (event) => {
                  next(event);
                  if (typeof event.data === 'string') received.push(event.data);
                };
        },
      });
    }

    override send(data: string): void {
      sent.push(data);
      super.send(data);
    }
  }
  return { WebSocket: ProbeWebSocket, sent, received };
}

/**
 * A fake router on port 0: it accepts `herald.v1.superjson`, answers `hello` with a valid welcome
 * carrying the given heartbeat values, and then never sends anything (it does not answer `ping`).
 */
async function silentRouter(heartbeatMs: number, heartbeatTimeoutMs: number) {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  await once(server, 'listening');
  const frames = new Log<string>();
  const connections = new Log<WebSocket>();
  const closed = new Log<number>();
  server.on('connection', (socket) => {
    const n = connections.values.length;
    connections.push(socket);
    socket.on('close', (code) => closed.push(code));
    socket.on('message', (data) => {
      const frame = String(data);
      frames.push(frame);
      const header = JSON.parse(frame.split('\n', 1)[0]!) as { type: string };
      if (header.type !== 'hello') return;
      socket.send(
        JSON.stringify({
          type: 'welcome',
          version: 1,
          id: `silent-${n}`,
          name: `silent-${n}`,
          router: { id: 'silent-router', name: 'silent' },
          maxPayload: 1024 * 1024,
          heartbeatMs,
          heartbeatTimeoutMs,
        }),
      );
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    frames,
    connections,
    closed,
    async [Symbol.asyncDispose](): Promise<void> {
      for (const socket of connections.values) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function states(client: Client): Log<StateChange> {
  const log = new Log<StateChange>();
  client.on('statechange', log.push);
  return log;
}

const fakeAll = (): void => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
};

/**
 * Reconnects after exactly 500 ms; the hello as a frame, which the fake router answers (it knows no
 * hello in the upgrade request).
 */
const HELD: ConnectOptions = { random: () => 0.5, reconnect: { minDelayMs: 1000, maxDelayMs: 1000 }, helloInUpgrade: false };

// ---- tests ----

describe('a browser-side client and a silent router', () => {
  it('pings after heartbeatMs (1000 ms) of silence and goes reconnecting (heartbeat_timeout) at heartbeatTimeoutMs (3000 ms)', async () => {
    await using fake = await silentRouter(1000, 3000);
    const probe = probeSocket();
    fakeAll();
    await using client = await connect(fake.url, { ...HELD, WebSocket: probe.WebSocket });
    const changes = states(client);
    expect(client.id).toBe('silent-0');
    expect(JSON.parse(probe.sent.values[0]!)).toMatchObject({ type: 'hello' });

    await vi.advanceTimersByTimeAsync(999);
    expect(probe.sent.values).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe.sent.values.slice(1)).toStrictEqual([PING]);
    expect((await fake.frames.until(2))[1]).toBe(PING); // the router saw it

    await vi.advanceTimersByTimeAsync(1000); // 2000 ms: still silent, still under the timeout
    expect(probe.sent.values.slice(1)).toStrictEqual([PING, PING]);
    await vi.advanceTimersByTimeAsync(999);
    expect(client.state).toBe('open');
    expect(changes.values).toStrictEqual([]);

    await vi.advanceTimersByTimeAsync(1); // 3000 ms: the change is made in the timer's tick
    expect(changes.values).toMatchObject([{ from: 'open', to: 'reconnecting', reason: 'heartbeat_timeout' }]);
    expect(client.state).toBe('reconnecting');
    await fake.closed.until(1); // the client dropped the socket it no longer trusts
    expect(probe.sent.values.slice(1)).toStrictEqual([PING, PING]);

    // It reconnects like after any other loss.
    await vi.advanceTimersByTimeAsync(500);
    expect((await changes.until(2))[1]).toStrictEqual({ from: 'reconnecting', to: 'open', reason: 'welcomed' });
    expect(client.id).toBe('silent-1');
    expect(fake.connections.values).toHaveLength(2);
  });

  it('the heartbeatTimeoutMs option overrides the router’s: 2000 ms trips at 2000, not 3000', async () => {
    await using fake = await silentRouter(1000, 3000);
    fakeAll();
    await using client = await connect(fake.url, { ...HELD, WebSocket: BrowserLikeWebSocket, heartbeatTimeoutMs: 2000 });
    const changes = states(client);
    await vi.advanceTimersByTimeAsync(1999);
    expect(client.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(changes.values).toMatchObject([{ from: 'open', to: 'reconnecting', reason: 'heartbeat_timeout' }]);
  });

  it('the heartbeatTimeoutMs option overrides the router’s: 5000 ms keeps the link past 3000, trips at 5000', async () => {
    await using fake = await silentRouter(1000, 3000);
    fakeAll();
    await using client = await connect(fake.url, { ...HELD, WebSocket: BrowserLikeWebSocket, heartbeatTimeoutMs: 5000 });
    const changes = states(client);
    await vi.advanceTimersByTimeAsync(4999);
    expect(client.state).toBe('open');
    expect(changes.values).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(changes.values).toMatchObject([{ from: 'open', to: 'reconnecting', reason: 'heartbeat_timeout' }]);
  });

  it('a router whose last frame came mid-interval is dead after heartbeatTimeoutMs of silence, within one more interval, never before', async () => {
    await using fake = await silentRouter(1000, 3000);
    const probe = probeSocket();
    fakeAll();
    await using client = await connect(fake.url, { ...HELD, WebSocket: probe.WebSocket });
    const changes = states(client);
    await vi.advanceTimersByTimeAsync(500);
    fake.connections.values[0]!.send(PONG); // the router's last word, at 500 ms
    await probe.received.until(2);

    await vi.advanceTimersByTimeAsync(2999); // 3499 ms: 2999 ms of silence
    expect(client.state).toBe('open');
    expect(changes.values).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1001); // 4500 ms: 4000 ms of silence, the timeout plus one interval
    expect(changes.values).toMatchObject([{ from: 'open', to: 'reconnecting', reason: 'heartbeat_timeout' }]);
  });
});

describe('a browser-side client and a live router', () => {
  it('never trips while the router answers: a ping whenever it was silent for heartbeatMs, a pong each time, open throughout', async () => {
    await using router = await startRouter({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
    const probe = probeSocket();
    fakeAll();
    await using client = await connect(router.url, { ...HELD, WebSocket: probe.WebSocket });
    const changes = states(client);
    expect(JSON.parse(probe.received.values[0]!)).toMatchObject({ type: 'welcome', heartbeatMs: 1000, heartbeatTimeoutMs: 3000 });

    const pings = (): number => probe.sent.values.filter((frame) => frame === PING).length;
    const pongs = (): number => probe.received.values.filter((frame) => frame === PONG).length;
    for (let tick = 1; tick <= 12; tick++) {
      const before = pings();
      await vi.advanceTimersByTimeAsync(1000);
      if (pings() > before) {
        // A real round trip: wait until the client has handled the router's pong.
        while (pongs() < pings()) await probe.received.until(probe.received.values.length + 1);
      }
      expect(client.state, `after ${tick * 1000} ms`).toBe('open');
    }
    expect(changes.values).toStrictEqual([]);
    // Silent for 1000 ms at 1000, 3000, 5000…: the pong in between resets the watch.
    expect(pings()).toBe(6);
    expect(pongs()).toBe(6);
    expect(router.clients().map((c) => c.id)).toStrictEqual([client.id]);
  });
});

describe('a heartbeatTimeoutMs of the client not above the router’s interval (which the client learns from the welcome)', () => {
  it.each([1000, 999, 1])('%i ms against a live router of interval 1000 ms: never trips, a ping every other second answered', async (heartbeatTimeoutMs) => {
    await using router = await startRouter({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
    const probe = probeSocket();
    fakeAll();
    await using client = await connect(router.url, { ...HELD, WebSocket: probe.WebSocket, heartbeatTimeoutMs });
    const changes = states(client);
    const pings = (): number => probe.sent.values.filter((frame) => frame === PING).length;
    const pongs = (): number => probe.received.values.filter((frame) => frame === PONG).length;
    for (let tick = 1; tick <= 10; tick++) {
      const before = pings();
      await vi.advanceTimersByTimeAsync(1000);
      if (pings() > before) while (pongs() < pings()) await probe.received.until(probe.received.values.length + 1);
      expect(client.state, `after ${tick * 1000} ms`).toBe('open');
    }
    expect(changes.values).toStrictEqual([]);
    expect([pings(), pongs()]).toStrictEqual([5, 5]);
    expect(router.clients().map((c) => c.id)).toStrictEqual([client.id]);
  });

  it('against a silent router: it pinged after the first quiet interval, and the router is dead at the second (as a timeout of 1001 to 2000 ms)', async () => {
    await using fake = await silentRouter(1000, 3000);
    const probe = probeSocket();
    fakeAll();
    await using client = await connect(fake.url, { ...HELD, WebSocket: probe.WebSocket, heartbeatTimeoutMs: 500 });
    const changes = states(client);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probe.sent.values.slice(1)).toStrictEqual([PING]);
    await vi.advanceTimersByTimeAsync(999);
    expect(client.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(changes.values).toMatchObject([{ from: 'open', to: 'reconnecting', reason: 'heartbeat_timeout' }]);
    expect(probe.sent.values.slice(1)).toStrictEqual([PING]);
  });
});
