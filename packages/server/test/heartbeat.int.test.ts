/**
 * Heartbeats (PROTOCOL.md section 8): the router pings every client once per interval with a
 * WebSocket ping; a client from which nothing (no frame, no pong) arrived for `heartbeatTimeoutMs`
 * is cut, between the timeout and the timeout plus one interval, and its presence ends `dropped`.
 * A paused socket (`raw.socket.pause()`) reads nothing, so it never answers a ping: a frozen peer.
 */
import { type DefaultSchema, type MemberWire, superjsonCodec } from '@herald/protocol';
import { disconnectOf, RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

const ROOM = 'hb.room';

async function watcher(router: Router, topic: string): Promise<RawClient> {
  const raw = await RawClient.welcomed(router.url, { name: 'watcher' });
  raw.send({ type: 'presence_watch', id: 1, topic });
  expect(await raw.next()).toMatchObject({ type: 'presence_state', id: 1, topic });
  return raw;
}

const wire = (raw: RawClient): MemberWire => ({ id: raw.welcome!.id, name: raw.welcome!.name, connectedAt: expect.any(Number) as number });

/** Counts the WebSocket pings a raw client receives, and lets a test await a count. */
function pingCounter(raw: RawClient): { readonly count: number; until(count: number): Promise<void> } {
  let count = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  raw.socket.on('ping', () => {
    count++;
    if (waiter !== undefined && count >= waiter.count) waiter.resolve();
  });
  return {
    get count() {
      return count;
    },
    until(target: number): Promise<void> {
      if (count >= target) return Promise.resolve();
      return new Promise((resolve) => (waiter = { count: target, resolve }));
    },
  };
}

describe('heartbeat, with a short real interval', () => {
  it('drops a peer that stops answering, tells presence it dropped, and keeps the idle healthy ones', async () => {
    await using router = await startRouter({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 150 });
    await using watch = await watcher(router, ROOM);
    await using healthy = await RawClient.subscribed(router.url, ROOM, { name: 'healthy' });
    await using silent = await RawClient.subscribed(router.url, ROOM, { name: 'silent' });
    expect(await watch.next()).toEqual({ type: 'presence_join', topic: ROOM, member: wire(healthy) });
    expect(await watch.next()).toEqual({ type: 'presence_join', topic: ROOM, member: wire(silent) });
    const pings = pingCounter(healthy);
    const gone = disconnectOf(router, 'silent');

    silent.socket.pause();
    const [client, detail] = await gone;
    expect(client.id).toBe(silent.welcome!.id);
    expect(detail).toMatchObject({ code: 1006, leave: 'dropped' });
    expect(await watch.next()).toEqual({ type: 'presence_leave', topic: ROOM, member: wire(silent), reason: 'dropped' });
    expect(router.stats().heartbeatTimeouts).toBe(1);
    expect((await router.presence(ROOM)).map((m) => m.id)).toEqual([healthy.welcome!.id]);

    // The healthy client sends nothing: only ws's automatic pongs keep it alive. Over several
    // timeouts' worth of pings it stays, and so does the watcher (idle too).
    const seen = pings.count;
    await pings.until(seen + 8);
    expect(router.stats().heartbeatTimeouts).toBe(1);
    expect(router.clients().map((c) => c.name).sort()).toEqual(['healthy', 'watcher']);
    expect(await healthy.drain()).toEqual([]);
    expect(await watch.drain()).toEqual([]);

    silent.socket.resume();
    expect((await silent.closed).code).toBe(1006);
  });
});

describe('heartbeat, with fake interval timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const INTERVAL = 1000;
  const TIMEOUT = 3000;

  /** A router whose heartbeat interval is fake (created now, at fake time 0). */
  async function fakeHeartbeatRouter(): Promise<Router> {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    return startRouter({ heartbeatIntervalMs: INTERVAL, heartbeatTimeoutMs: TIMEOUT });
  }

  it('tells the interval and timeout in welcome, the defaults when not configured', async () => {
    await using router = await startRouter({ heartbeatIntervalMs: 1234, heartbeatTimeoutMs: 5678 });
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    expect(raw.welcome).toMatchObject({ heartbeatMs: 1234, heartbeatTimeoutMs: 5678 });

    await using defaults = await startRouter();
    await using other = await RawClient.welcomed(defaults.url, { name: 'other' });
    expect(other.welcome).toMatchObject({ heartbeatMs: 10_000, heartbeatTimeoutMs: 30_000 });
  });

  it('pings every client once per interval', async () => {
    await using router = await fakeHeartbeatRouter();
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    const pings = pingCounter(raw);
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    await raw.drain(); // a round trip: a ping sent before the pong would have arrived first
    expect(pings.count).toBe(0);
    for (let tick = 1; tick <= 5; tick++) {
      await vi.advanceTimersByTimeAsync(tick === 1 ? 1 : INTERVAL);
      await raw.drain();
      expect(pings.count).toBe(tick);
    }
    expect(router.stats().heartbeatTimeouts).toBe(0);
  });

  it('pings each of many clients once per interval, spread over the interval (one slice at a time)', async () => {
    await using router = await fakeHeartbeatRouter();
    const raws = await Promise.all(Array.from({ length: 30 }, (_, i) => RawClient.welcomed(router.url, { name: `raw${i}` })));
    try {
      const pings = raws.map(pingCounter);
      const counts = async (): Promise<number[]> => {
        await Promise.all(raws.map((raw) => raw.drain())); // a round trip each: pings sent arrived
        return pings.map((counter) => counter.count);
      };
      // Half an interval in, some have had their ping and some not: not one burst for everyone.
      await vi.advanceTimersByTimeAsync(INTERVAL / 2);
      const half = (await counts()).filter((count) => count === 1).length;
      expect(half).toBeGreaterThan(0);
      expect(half).toBeLessThan(raws.length);
      await vi.advanceTimersByTimeAsync(INTERVAL / 2);
      expect(await counts()).toEqual(raws.map(() => 1));
      for (let interval = 2; interval <= 4; interval++) {
        await vi.advanceTimersByTimeAsync(INTERVAL);
        expect(await counts()).toEqual(raws.map(() => interval));
      }
      expect(router.stats().heartbeatTimeouts).toBe(0);
    } finally {
      await Promise.all(raws.map((raw) => raw[Symbol.asyncDispose]()));
    }
  });

  it('drops a silent peer within the timeout plus one interval after its last frame', async () => {
    await using router = await fakeHeartbeatRouter();
    // Its hello is its last frame, at fake time 0.
    await using silent = await RawClient.welcomed(router.url, { name: 'silent' });
    silent.socket.pause();
    const gone = disconnectOf(router, 'silent');
    for (let tick = 1; tick <= (TIMEOUT + INTERVAL) / INTERVAL; tick++) await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(router.stats().heartbeatTimeouts).toBe(1);
    const [, detail] = await gone;
    expect(detail).toMatchObject({ code: 1006, leave: 'dropped' });
    expect(router.clients()).toEqual([]);
  });

  it('does not drop a peer that was silent for less than heartbeatTimeoutMs', async () => {
    await using router = await fakeHeartbeatRouter();
    await using silent = await RawClient.welcomed(router.url, { name: 'silent' });
    // Its last frame reaches the router 1 ms before the first tick.
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    await silent.drain();
    silent.socket.pause();
    // Ticks at 1000, 2000, 3000: silent for 1, 1001, 2001 ms, all under the 3000 ms timeout.
    await vi.advanceTimersByTimeAsync(1 + 2 * INTERVAL);
    expect(router.stats().heartbeatTimeouts).toBe(0);
    expect(router.clients().map((c) => c.name)).toEqual(['silent']);
    // Tick at 4000: silent for 3001 ms, past the timeout and within timeout + interval.
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(router.stats().heartbeatTimeouts).toBe(1);
  });

  it('counts every frame as a sign of life: a peer that never reads (no pongs) but keeps sending stays', async () => {
    await using router = await fakeHeartbeatRouter();
    const received: unknown[] = [];
    let wake: (() => void) | undefined;
    await router.subscribe('hb.alive', (data) => {
      received.push(data);
      wake?.();
    });
    await using chatty = await RawClient.welcomed(router.url, { name: 'chatty' });
    chatty.socket.pause();
    const ticks = (3 * TIMEOUT) / INTERVAL;
    for (let tick = 1; tick <= ticks; tick++) {
      chatty.send({ type: 'publish', topic: 'hb.alive' }, superjsonCodec.encode(tick));
      while (received.length < tick) await new Promise<void>((resolve) => (wake = resolve));
      await vi.advanceTimersByTimeAsync(INTERVAL);
    }
    expect(router.stats().heartbeatTimeouts).toBe(0);
    expect(router.clients().map((c) => c.name)).toEqual(['chatty']);
    // Once it stops sending too, it is gone within the timeout plus one interval.
    const gone = disconnectOf(router, 'chatty');
    await vi.advanceTimersByTimeAsync(TIMEOUT + INTERVAL);
    expect(router.stats().heartbeatTimeouts).toBe(1);
    expect((await gone)[1]).toMatchObject({ code: 1006, leave: 'dropped' });
  });
});
