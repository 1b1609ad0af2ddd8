/**
 * The engine over Redis Sentinel (real redis-server processes started by the test: a master, a
 * replica and one sentinel). Two routers connect through the sentinel; a forced failover
 * (`SENTINEL FAILOVER`) moves them to the new master: while they cannot write, publishes are
 * refused ENGINE_UNAVAILABLE (never queued, never lost silently); the new master is another Redis
 * (its run_id differs), which may lack acknowledged writes of the old one, so every topic gets a
 * new epoch: subscribers are told to recover (4201) and their recovery says `epoch_changed`.
 * And the routers leave the old master as soon as the sentinel announces the new one (ioredis's
 * failoverDetector), not seconds later when the sentinel demotes it: writes in between would be lost.
 */
import { ErrorCode } from '@herald/protocol';
import type { Router } from '@herald/server';
import { type RedisSentinel, startRedisSentinel } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { RedisEngine } from '../src/index.js';
import { availability, engineNodes, expectNewEpoch } from './engine-nodes.js';

const { own, node: engineNode, client, stockStream } = engineNodes();
let sentinel: RedisSentinel | undefined;

function node(name: string, minBackoffMs = 600): Promise<[Router, RedisEngine]> {
  // Reconnects wait at least 600 ms: the refusals below land while the engine is away.
  return engineNode(name, { redis: { sentinels: sentinel!.sentinels, name: sentinel!.name }, prefix: 'sentinel:', minBackoffMs });
}

// A master, a replica, a sentinel and two routers per test, and a failover: 2-4 s idle, 12 s seen
// on a loaded machine (as the other multi-process suites).
describe('Redis Sentinel under a cluster', { timeout: 60_000 }, () => {
  it('a forced failover: ENGINE_UNAVAILABLE while the engine cannot write, then the new master, a new epoch, recovered: false', async () => {
    sentinel = own(await startRedisSentinel());
    const [first, second] = sentinel.servers;
    expect(await sentinel.masterPort()).toBe(first.port);
    const [a, engineA] = await node('a');
    const [b, engineB] = await node('b');
    const stream = await stockStream(a, b);
    const { publisher } = stream;

    const downA = availability(engineA, false);
    const downB = availability(engineB, false);
    expect(await sentinel.failover()).toBe(second.port);
    await Promise.all([downA, downB]);
    publisher.send({ type: 'publish', id: 10, topic: 'stock.x' }, '{"json":"lost?"}');
    expect(await publisher.nextOf('error')).toMatchObject({ id: 10, code: ErrorCode.ENGINE_UNAVAILABLE, retryAfterMs: expect.any(Number) });
    // Both clients stay connected.
    expect(a.clients().map((c) => c.name)).toEqual(['publisher']);
    expect(b.clients().map((c) => c.name)).toEqual(['subscriber']);

    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    // The new master may lack what the old one acknowledged last: b's subscriber is told to
    // recover; a client that recovers from the old epoch is told, and gets the new epoch's messages.
    const late = await client(b, 'late');
    const epoch = await expectNewEpoch(stream, late);
    // The new epoch was written to the new master (the former replica).
    expect(await second.command('HGET', 'sentinel:m:stock.x', 'e')).toBe(`$${epoch.length}\r\n${epoch}\r\n`);
    expect(await second.command('ROLE')).toMatch(/^\*3\r\n\$6\r\nmaster\r\n/);
    // And live traffic flows through the new master to the other router.
    late.send({ type: 'publish', id: 2, topic: 'stock.x' }, '{"json":5}');
    expect(await late.nextOf('message')).toMatchObject({ topic: 'stock.x', epoch, offset: 2 });
  });

  it('routers leave the old master when the sentinel announces the new one, not when the old one is demoted', async () => {
    // The sentinel's default hello period: the old master goes on saying it is a master, and taking
    // writes, for at least 8 s after the failover before the sentinel turns it into a replica.
    sentinel = own(await startRedisSentinel({ publishPeriodMs: 2000 }));
    const [first, second] = sentinel.servers;
    const [a, engineA] = await node('a', 10);
    const [, engineB] = await node('b', 10);
    await a.publish('feed', 1);
    const down = Promise.all([availability(engineA, false), availability(engineB, false)]);
    expect(await sentinel.failover()).toBe(second.port);
    await down;
    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    // Both routers are on the new master while the old one still takes writes: nothing they
    // publish now can land on it and vanish when it is demoted.
    expect(await first.command('ROLE')).toMatch(/^\*3\r\n\$6\r\nmaster\r\n/);
    expect(await first.command('CLIENT', 'LIST')).not.toContain('herald-');
    expect(await second.command('CLIENT', 'LIST')).toContain(`herald-cmd-${engineA.nodeId}`);
    const stamp = await a.publish('feed', 2);
    expect(await second.command('HGET', 'sentinel:m:feed', 'o')).toBe(`$${String(stamp.offset).length}\r\n${stamp.offset}\r\n`);
  });
});
