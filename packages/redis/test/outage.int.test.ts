/**
 * Redis going away under routers (real redis-server, started by the test): its Pub/Sub connections
 * killed (`CLIENT KILL TYPE pubsub`: repaired from history, nothing twice), and Redis restarted
 * without persistence mid-stream (ENGINE_UNAVAILABLE while down, clients stay connected, a new
 * epoch after; subscribers that may have lost messages are told to recover (4201), and recovery
 * says `epoch_changed`; request providers are announced again).
 */
import { ErrorCode } from '@herald/protocol';
import type { Router } from '@herald/server';
import { type RedisServer, startRedisServer } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { RedisEngine, RedisEngineOptions } from '../src/index.js';
import { availability, engineNodes, expectNewEpoch, messages } from './engine-nodes.js';

const { own, node: engineNode, client, stockStream } = engineNodes();
let redis: RedisServer | undefined;
let cluster = 0;

/** A router on the test's Redis, on the test's key prefix. */
function node(name: string, options: RedisEngineOptions = {}): Promise<[Router, RedisEngine]> {
  return engineNode(name, { url: redis!.url, prefix: `outage${cluster}:`, ...options });
}

describe('Redis trouble under a cluster', () => {
  it('CLIENT KILL TYPE pubsub: what a node missed is repaired from history, in order, once', async () => {
    redis = own(await startRedisServer({ own: true }));
    cluster++;
    const [a] = await node('a');
    // b comes back after at least 600 ms, so the publishes below land while it is away.
    const [b, engineB] = await node('b', { minBackoffMs: 600 });
    const subscriber = await client(b, 'subscriber');
    subscriber.send({ type: 'subscribe', id: 1, pattern: 'feed.>' });
    await subscriber.nextOf('subscribed');
    for (let i = 1; i <= 5; i++) await a.publish('feed.a', i);
    expect((await messages(subscriber, 5)).map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);

    const away = availability(engineB, false);
    expect(await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub')).toMatch(/^:[1-9]/);
    await away;
    // a's command connection was not killed: it publishes on (a new topic of the pattern too).
    for (let i = 6; i <= 10; i++) await a.publish('feed.a', i);
    await a.publish('feed.b', 'new topic');
    await availability(engineB, true);
    await a.publish('feed.a', 11);
    const got = (await messages(subscriber, 7)).map((m) => [m.topic, m.offset]);
    expect(got).toEqual([
      ['feed.a', 6],
      ['feed.a', 7],
      ['feed.a', 8],
      ['feed.a', 9],
      ['feed.a', 10],
      ['feed.b', 1],
      ['feed.a', 11],
    ]);
    expect(engineB.counters.repaired).toBe(6); // feed.a 6–10 and feed.b 1 came from the streams
    await a.publish('feed.a', 12);
    expect((await messages(subscriber, 1)).map((m) => m.offset)).toEqual([12]);
    expect(await subscriber.drain()).toEqual([]);
  });

  it('Redis restarted without persistence: ENGINE_UNAVAILABLE while down, clients stay, a new epoch after', async () => {
    redis = own(await startRedisServer({ own: true }));
    cluster++;
    const [a, engineA] = await node('a');
    const [b, engineB] = await node('b');
    const stream = await stockStream(a, b);
    const { publisher } = stream;
    const provider = await client(b, 'provider');
    provider.send({ type: 'handle', id: 1, method: 'quote.get' });
    await provider.nextOf('handled');

    const downA = availability(engineA, false);
    const downB = availability(engineB, false);
    await redis.kill();
    await Promise.all([downA, downB]);
    expect(a.engineAvailable).toBe(false);
    publisher.send({ type: 'publish', id: 10, topic: 'stock.x' }, '{"json":"lost?"}');
    const refused = await publisher.nextOf('error');
    expect(refused).toMatchObject({ id: 10, code: ErrorCode.ENGINE_UNAVAILABLE, retryAfterMs: expect.any(Number) });
    publisher.send({ type: 'subscribe', id: 11, pattern: 'other' });
    expect(await publisher.nextOf('error')).toMatchObject({ id: 11, code: ErrorCode.ENGINE_UNAVAILABLE });
    // Both clients are still connected.
    expect(a.clients().map((c) => c.name)).toEqual(['publisher']);
    expect(b.clients().map((c) => c.name)).toEqual(['subscriber', 'provider']);

    await redis.restart();
    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    // b cannot know what the lost Redis held past offset 3: its subscriber is told to reconnect
    // and recover (4201), so it learns from its recovery instead of losing messages silently; a
    // client that recovers from the old epoch is told, and gets the new epoch's messages.
    await expectNewEpoch(stream, await client(a, 'late'));
    // The registry of request providers went with Redis: b announces its provider again, so a
    // lists it (once the announcement arrives) and routes to it.
    let listed: unknown[] = [];
    for (let id = 100; id < 2100 && listed.length === 0; id++) {
      publisher.send({ type: 'list_methods', id });
      listed = (await publisher.nextOf('methods')).methods;
    }
    expect(listed).toEqual([{ method: 'quote.get', providers: [expect.objectContaining({ name: 'provider' })] }]);
  });

  it('Redis back from an older snapshot: offsets are never reused within an epoch (new run_id → new epoch)', async () => {
    redis = own(await startRedisServer({ own: true }));
    cluster++;
    const [a, engineA] = await node('a');
    for (let i = 1; i <= 3; i++) await a.publish('ledger', i);
    expect(await redis.command('SAVE')).toMatch(/^\+OK/);
    // Acknowledged, then lost: the snapshot holds offsets 1–3 only.
    const lost = [await a.publish('ledger', 4), await a.publish('ledger', 5)];
    expect(lost.map((s) => s.offset)).toEqual([4, 5]);
    const { epoch } = lost[0]!;
    const down = availability(engineA, false);
    await redis.restart();
    await down;
    await availability(engineA, true);
    // Redis came back from the snapshot: the topic's last offset there is 3.
    expect(await redis.command('HGET', `outage${cluster}:m:ledger`, 'o')).toBe('$1\r\n3\r\n');
    // Without the generation check this publish would be offset 4 of the same epoch, and a
    // subscriber that saw the lost 4 and 5 would drop it (and the next) as duplicates.
    const next = await a.publish('ledger', 6);
    expect(next.epoch).not.toBe(epoch);
    expect(next.offset).toBe(1);
    const recovering = await client(a, 'recovering');
    recovering.send({ type: 'subscribe', id: 1, pattern: 'ledger', positions: [['ledger', epoch, 5]], since: 0 });
    expect(await recovering.next()).toMatchObject({ type: 'message', epoch: next.epoch, offset: 1, payload: '{"json":6}', replay: 1 });
    expect(await recovering.next()).toMatchObject({ type: 'subscribed', recovered: false, reason: 'epoch_changed' });
  });
});
