/**
 * The memory transport: clients reach a router with no socket at all, on fake timers, and the
 * switchboard drops, delays, cuts and partitions frames. Written the way a user's test would be.
 */
import { type Client, type ConnectOptions, connect } from '@herald/client';
import type { ClientInfo, DisconnectDetail, Router } from '@herald/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Log, type MemoryTransport, memoryTransport, settle, startMemoryRouter } from '../src/index.js';

let router: Router;
let net: MemoryTransport;
const clients: Client[] = [];

beforeEach(async () => {
  router = await startMemoryRouter({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  net = memoryTransport(router);
});

afterEach(async () => {
  for (const client of clients.splice(0)) await settle(client.close());
  await settle(router.close());
  vi.useRealTimers();
});

async function client(name: string, options: ConnectOptions = {}): Promise<Client> {
  const c = await settle(connect('memory://router', { name, WebSocket: net.WebSocket, random: () => 0.5, ...options }));
  clients.push(c);
  return c;
}

describe('memory transport', () => {
  it('connects clients with no socket: publish, subscribe, presence, requests', async () => {
    const connects = new Log<ClientInfo>();
    router.on('connect', connects.push);
    const kirk = await client('Kirk');
    const spock = await client('Spock');
    expect(connects.values.map((c) => [c.name, c.address])).toEqual([
      ['Kirk', 'memory'],
      ['Spock', 'memory'],
    ]);
    const got = new Log<unknown>();
    await settle(spock.subscribe('bridge.>', (data) => got.push(data)));
    const who = await settle(kirk.presence('bridge.>'));
    expect(who.members().map((m) => m.name)).toEqual(['Spock']);
    await settle(kirk.publish('bridge.log', { stardate: 1312.4, at: new Date(0) }));
    await settle(got.until(1));
    expect(got.values).toEqual([{ stardate: 1312.4, at: new Date(0) }]);
    await settle(spock.handle('science.scan', (target: unknown) => `scanned ${String(target)}`));
    expect(await settle(kirk.request('science.scan', 'planet'))).toBe('scanned planet');
    expect(net.links()).toHaveLength(2);
  });

  it('drops and delays frames by rule, on the fake clock', async () => {
    const kirk = await client('Kirk');
    const spock = await client('Spock');
    const got = new Log<unknown>();
    await settle(spock.subscribe('log', (data) => got.push(data)));
    const heal = net.drop((frame) => frame.direction === 'to-client' && frame.text.startsWith('{"type":"message"'));
    await settle(kirk.publish('log', 'lost'));
    heal();
    net.delay(5000, (frame) => frame.direction === 'to-client' && frame.text.startsWith('{"type":"message"'));
    const acked = kirk.publish('log', 'late');
    await settle(acked);
    await vi.advanceTimersByTimeAsync(4999);
    expect(got.values).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(got.values).toEqual(['late']);
  });

  it('cuts a connection: the client reconnects after its backoff and recovers what it missed', async () => {
    const kirk = await client('Kirk');
    const spock = await client('Spock', { reconnect: { minDelayMs: 1000, maxDelayMs: 1000 } });
    const got = new Log<unknown>();
    const sub = await settle(spock.subscribe('log', (data) => got.push(data)));
    const recoveries = new Log<unknown>();
    sub.on('recovery', recoveries.push);
    expect(net.cut('Spock')).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(spock.state).toBe('reconnecting');
    await settle(kirk.publish('log', 'while away'));
    await vi.advanceTimersByTimeAsync(499);
    expect(spock.state).toBe('reconnecting'); // full jitter with random 0.5: 500 ms
    await vi.advanceTimersByTimeAsync(1);
    await settle(recoveries.until(1));
    expect(recoveries.values).toEqual([{ recovered: true, gaps: [] }]);
    expect(got.values).toEqual(['while away']);
  });

  it('partitions a client: the router drops it after its heartbeat timeout', async () => {
    await client('Kirk');
    const disconnects = new Log<[string, DisconnectDetail]>();
    router.on('disconnect', (info, detail) => disconnects.push([info.name, detail]));
    net.partition('Kirk');
    await vi.advanceTimersByTimeAsync(2999);
    expect(disconnects.values).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    await settle(disconnects.until(1));
    expect(disconnects.values.map(([name]) => name)).toEqual(['Kirk']);
  });

  it('a mass reconnect: every client comes back', async () => {
    const crew = await Promise.all(['A', 'B', 'C', 'D'].map((name) => client(name)));
    expect(net.cutAll()).toBe(4);
    await vi.advanceTimersByTimeAsync(0);
    expect(crew.map((c) => c.state)).toEqual(['reconnecting', 'reconnecting', 'reconnecting', 'reconnecting']);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle(Promise.all(crew.map((c) => c.ping())));
    expect(crew.map((c) => c.state)).toEqual(['open', 'open', 'open', 'open']);
    expect(router.clients().map((c) => c.name).sort()).toEqual(['A', 'B', 'C', 'D']);
  });

  it('restarts the router: clients reconnect to the new one and learn the epoch changed', async () => {
    const spock = await client('Spock', { reconnect: { minDelayMs: 100, maxDelayMs: 100 } });
    const seen = new Log<unknown>();
    const sub = await settle(spock.subscribe('log', (data) => seen.push(data)));
    await settle(spock.publish('log', 'before the restart'));
    await settle(seen.until(1));
    const recoveries = new Log<{ recovered: boolean; reason?: string }>();
    sub.on('recovery', recoveries.push);
    net.unlisten();
    await settle(router.close({ restart: true }));
    router = await startMemoryRouter(); // a new router (a new epoch), on the fake clock too
    net.listen(router);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(recoveries.until(1));
    expect(recoveries.values[0]).toMatchObject({ recovered: false, reason: 'epoch_changed' });
    expect(spock.state).toBe('open');
  });
});
