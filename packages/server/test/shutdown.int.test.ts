/**
 * Graceful shutdown and disconnects (PROTOCOL.md sections 8 and 10): `router.close({ restart: true })`
 * closes every client with 1012 after flushing what it accepted; clients come back spread by
 * jitter; `router.disconnect()` closes for good (1000) or cuts like a network failure (1006).
 */
import { type Client, type ReconnectAttempt, type Recovery, type StateChange, connect } from '@herald/client';
import { type MessageMsg, superjsonCodec } from '@herald/protocol';
import { disconnectOf, nextEvent, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientInfo } from '../src/index.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function stateChange(client: Client, to: StateChange['to']): Promise<StateChange> {
  return nextEvent<[StateChange]>(
    (listener) => client.on('statechange', listener),
    (change) => change.to === to,
  ).then(([change]) => change);
}

const closeAll = (clients: Client[]): AsyncDisposable => ({
  [Symbol.asyncDispose]: async () => {
    await Promise.all(clients.map((client) => client.close()));
  },
});

describe('router.close({ restart: true })', () => {
  it('closes every client with 1012 SERVICE_RESTART; API clients go reconnecting', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    await using unwelcomed = await RawClient.open(router.url);
    await using api1 = await connect(router.url, { name: 'api1' });
    await using api2 = await connect(router.url, { name: 'api2' });
    const down = [api1, api2].map((api) => stateChange(api, 'reconnecting'));
    const disconnects: Array<[string, number, string]> = [];
    router.on('disconnect', (client, detail) => disconnects.push([client.name, detail.code, detail.leave]));

    await router.close({ restart: true });
    for (const client of [raw, unwelcomed]) {
      const { code, reason } = await client.closed;
      expect(code).toBe(1012);
      expect(reason.startsWith('SERVICE_RESTART')).toBe(true);
    }
    for (const change of await Promise.all(down)) {
      expect(change).toEqual({ from: 'open', to: 'reconnecting', reason: 'router_closed', code: 1012 });
    }
    expect(disconnects.sort()).toEqual([
      ['api1', 1012, 'dropped'],
      ['api2', 1012, 'dropped'],
      ['raw', 1012, 'dropped'],
    ]);
    expect(router.stats().connections).toBe(0);
  });

  it('delivers every message acknowledged before close() to the connected subscribers, before their close frame', async () => {
    const COUNT = 500;
    const PAD = 'p'.repeat(2048);
    await using router = await startRouter();
    await using reading = await RawClient.subscribed(router.url, 'flush', { name: 'reading' });
    await using paused = await RawClient.subscribed(router.url, 'flush', { name: 'paused' });
    await using api = await connect(router.url, { name: 'api' });
    const got: number[] = [];
    await api.subscribe('flush', (_data, meta) => got.push(meta.offset));
    let gotWhenDown = -1;
    api.on('statechange', (change) => {
      if (change.to === 'reconnecting') gotWhenDown = got.length;
    });
    await using pub = await RawClient.welcomed(router.url, { name: 'pub' });
    paused.socket.pause();

    for (let id = 1; id <= COUNT; id++) pub.send({ type: 'publish', id, topic: 'flush' }, superjsonCodec.encode({ id, pad: PAD }));
    for (let id = 1; id <= COUNT; id++) expect(await pub.next()).toMatchObject({ type: 'publish_ack', id, offset: id });
    const closing = router.close({ restart: true });
    paused.socket.resume();
    await closing;

    for (const raw of [reading, paused]) {
      expect((await raw.closed).code).toBe(1012);
      const offsets: number[] = [];
      while (raw.queued > 0) offsets.push(((await raw.next()) as MessageMsg).offset);
      expect(offsets).toEqual(range(1, COUNT));
    }
    expect(gotWhenDown).toBe(COUNT);
    expect(got).toEqual(range(1, COUNT));
  });

  it('flushes MiBs still queued in the router for a subscriber that had stopped reading, then closes', async () => {
    // 8 MiB: more than the kernel's socket buffers take, so the router itself holds the rest.
    const COUNT = 500;
    const PAD = 'q'.repeat(16 * 1024);
    await using router = await startRouter({ maxBufferedBytes: 32 * 1024 * 1024 });
    await using paused = await RawClient.subscribed(router.url, 'flush', { name: 'paused' });
    await using pub = await RawClient.welcomed(router.url, { name: 'pub' });
    paused.socket.pause();
    for (let id = 1; id <= COUNT; id++) pub.send({ type: 'publish', id, topic: 'flush' }, superjsonCodec.encode({ id, pad: PAD }));
    for (let id = 1; id <= COUNT; id++) expect(await pub.next()).toMatchObject({ type: 'publish_ack', id });
    const closing = router.close({ restart: true });
    paused.socket.resume();
    await closing;
    expect((await paused.closed).code).toBe(1012);
    const offsets: number[] = [];
    while (paused.queued > 0) offsets.push(((await paused.next()) as MessageMsg).offset);
    expect(offsets).toEqual(range(1, COUNT));
    expect(router.stats().slowConsumers).toBe(0);
  });

  it('spreads the first reconnects of 50 clients over [0, minDelayMs): no thundering herd', async () => {
    const CLIENTS = 50;
    const MIN_DELAY = 500; // the default minDelayMs
    await using router = await startRouter();
    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connect(router.url, { name: `c${i}` })));
    await using _clients = closeAll(clients);
    const firsts = clients.map((client) =>
      nextEvent<[ReconnectAttempt]>(
        (listener) => client.on('reconnect', listener),
        (attempt) => attempt.attempt === 1,
      ),
    );
    await router.close({ restart: true });
    const delays = (await Promise.all(firsts)).map(([attempt]) => attempt.delayMs);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(MIN_DELAY);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(MIN_DELAY / 2);
  });

  it('lets a client that comes back while the router is still closing keep reconnecting, not give up', async () => {
    // A peer that does not read holds the shutdown open (up to shutdownTimeoutMs).
    await using router = await startRouter({ shutdownTimeoutMs: 5000 });
    await using deaf = await RawClient.welcomed(router.url, { name: 'deaf' });
    deaf.socket.pause();
    const draws = [0, 0.5];
    await using client = await connect(router.url, { name: 'eager', random: () => draws.shift() ?? 0.5 });
    const down = stateChange(client, 'reconnecting');
    const outcome = Promise.race([
      nextEvent<[ReconnectAttempt]>(
        (listener) => client.on('reconnect', listener),
        (attempt) => attempt.attempt === 2,
      ).then(([attempt]) => `retries (attempt ${attempt.attempt})`),
      stateChange(client, 'closed').then((change) => `closed (${change.reason})`),
    ]);
    const closing = router.close({ restart: true });
    expect(await down).toMatchObject({ reason: 'router_closed', code: 1012 });
    // Its first attempt (delay 0) reaches the router while the deaf peer still holds it open.
    expect(await outcome).toBe('retries (attempt 2)');
    await deaf.destroy();
    await closing;
  });
});

describe('router.disconnect()', () => {
  it('closes with 1000: the client closes for good and does not reconnect', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, { name: 'leaving' });
    const reconnects: ReconnectAttempt[] = [];
    client.on('reconnect', (attempt) => reconnects.push(attempt));
    const closed = stateChange(client, 'closed');
    const gone = disconnectOf(router, 'leaving');
    expect(router.disconnect(client.id)).toBe(true);
    expect(await closed).toEqual({ from: 'open', to: 'closed', reason: 'router_closed', code: 1000 });
    const [info, detail] = await gone;
    expect(info.name).toBe('leaving');
    expect(detail).toMatchObject({ code: 1000, leave: 'dropped' });
    expect(reconnects).toEqual([]);
    expect(router.disconnect(client.id)).toBe(false);
    expect(router.disconnect('no-such-id')).toBe(false);
    expect(router.clients()).toEqual([]);
  });

  it('with terminate: true, cuts the socket (1006); the client reconnects (its id resumed) and presence shows it', async () => {
    await using router = await startRouter();
    await using watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
    watcher.send({ type: 'presence_watch', id: 1, topic: 'room' });
    expect(await watcher.next()).toMatchObject({ type: 'presence_state', members: [] });
    await using client = await connect(router.url, { name: 'cut', random: () => 0 });
    const room = await client.subscribe('room');
    const oldId = client.id;
    expect(await watcher.next()).toMatchObject({ type: 'presence_join', topic: 'room', member: { id: oldId, name: 'cut' } });

    const changes: StateChange[] = [];
    client.on('statechange', (change) => changes.push(change));
    const gone = disconnectOf(router, 'cut');
    const resubscribed = nextEvent<[ClientInfo, string]>(
      (listener) => router.on('subscribe', listener),
      (info) => info.name === 'cut',
    );
    const recovered = nextEvent<[Recovery]>((listener) => room.on('recovery', listener));
    expect(router.disconnect(oldId, { terminate: true })).toBe(true);
    expect((await gone)[1]).toMatchObject({ code: 1006, leave: 'dropped' });
    const [info] = await resubscribed;
    expect((await recovered)[0]).toEqual({ recovered: true, gaps: [] });
    expect(client.state).toBe('open');
    expect(changes).toEqual([
      { from: 'open', to: 'reconnecting', reason: 'connection_lost', code: 1006 },
      { from: 'reconnecting', to: 'open', reason: 'welcomed' },
    ]);
    expect(client.id).toBe(oldId); // hello.resume
    expect(info.id).toBe(client.id);
    expect((await router.presence('room')).map((m) => m.id)).toEqual([client.id]);
    const events = [await watcher.next(), await watcher.next()];
    expect(events).toContainEqual(expect.objectContaining({ type: 'presence_leave', member: expect.objectContaining({ id: oldId }), reason: 'dropped' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'presence_join', member: expect.objectContaining({ id: client.id, name: 'cut' }) }));
  });
});
