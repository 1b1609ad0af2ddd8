/**
 * Presence across a Redis restart without persistence (real redis-server of the test's own, three
 * routers in this process): the members are gone from Redis until each router writes its own back.
 * A router's repair read waits for the routers alive before the restart to have written theirs
 * back (rejoin-wait.ts), so a watcher on b is told nothing about members of a and c that stayed
 * connected, a leave during the outage once (`dropped`), a join during the wait once. A router that
 * does not write its members back within the lease is taken as gone: its members leave (`dropped`),
 * and join again once it does.
 */
import { type Router, silentLogger } from '@herald/server';
import { Log, RawClient, type RedisServer, deferred, startRedisServer, startRouter } from '@herald/testkit';
import type { ServerMessage } from '@herald/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, type RedisEngineOptions, redisEngine } from '../src/index.js';
import { availability } from './engine-nodes.js';
import { PresenceClients, authenticate, told } from './presence-clients.fixture.js';

let redis: RedisServer | undefined;
let routers: Router[] = [];
let clients = new PresenceClients();
let release: (() => void) | undefined;

afterEach(async () => {
  release?.();
  await clients.close();
  await Promise.all(routers.map((r) => r.close()));
  await redis?.[Symbol.asyncDispose]();
  [clients, routers, redis, release] = [new PresenceClients(), [], undefined, undefined];
});

async function node(name: string, options: RedisEngineOptions = {}): Promise<[Router, RedisEngine]> {
  const engine = redisEngine({ url: redis!.url, prefix: 'restart:', logger: silentLogger, ...options });
  const router = await startRouter({ name, engine, authenticate, presenceGraceMs: 0 });
  routers.push(router);
  return [router, engine];
}

/** The presence frames `c` was sent and not read yet. */
async function presenceFrames(c: RawClient): Promise<ServerMessage[]> {
  return (await c.drain()).filter((f) => f.type.startsWith('presence_'));
}

/** Every router's lease knows all of them (its last reap saw them alive). */
async function peersKnown(engines: RedisEngine[]): Promise<void> {
  const all = engines.map((e) => e.nodeId).sort();
  for (const engine of engines) await expect.poll(() => [...engine.lease.peers].sort()).toEqual(all);
}

/** Holds `engine`'s writing back of its members after a restart until the returned function is called. */
function holdRejoin(engine: RedisEngine): { release: () => void; held: Log<string> } {
  const gate = deferred();
  const held = new Log<string>();
  const reregister = engine.presence.reregister.bind(engine.presence);
  engine.presence.reregister = async () => {
    held.push('reregister');
    await gate.promise;
    return reregister();
  };
  release = () => gate.resolve();
  return { release, held };
}

describe('presence over Redis across a restart that lost the members', { timeout: 60_000 }, () => {
  it("b's watchers see no leave and join of a's and c's members that stayed; a leave during the outage and a join during the wait are told once", async () => {
    redis = await startRedisServer({ own: true });
    // A lease long enough that only c's rejoin (held below) ends b's wait, never its bound.
    const options = { leaseMs: 60_000 };
    const [a, engineA] = await node('a', options);
    const [b, engineB] = await node('b', options);
    const [c, engineC] = await node('c', options);
    const a1 = await clients.member(a, 'alice');
    await clients.member(a, 'bob');
    await clients.member(c, 'carol');
    const [byUser, state] = await clients.watcher(b, 'user');
    expect(state).toMatchObject({ members: [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }] });
    const [byConnection] = await clients.watcher(b, 'connection');
    const { view, seen } = await clients.sdkWatcher(b);
    expect(view.members().map((m) => m.id)).toEqual(['alice', 'bob', 'carol']);
    await using counter = await RawClient.welcomed(b.url, { token: 'counter' });
    counter.send({ type: 'presence_watch', id: 1, topic: 'room', count: true });
    expect(await counter.next()).toStrictEqual({ type: 'presence_state', id: 1, topic: 'room', members: [], count: 3 });
    await peersKnown([engineA, engineB, engineC]);
    const leftA = new Log<string>();
    a.on('disconnect', (client) => leftA.push(client.id));
    const heldC = holdRejoin(engineC);

    const down = Promise.all([engineA, engineB, engineC].map((e) => availability(e, false)));
    await redis.kill();
    await down;
    await a1.close(); // its leave waits for Redis (and finds nothing to remove there)
    await leftA.until(1);
    await redis.restart();
    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    await heldC.held.until(1); // c is back, its members not written back yet
    expect(engineC.available).toBe(false);
    expect(engineB.rejoins.waiting).toBe(true);
    expect((await redis.command('HLEN', 'restart:pm:room')).trim()).toBe(':1'); // bob only: carol is not in Redis
    const d1 = await clients.member(a, 'dave'); // joins while b waits for c
    // b's watches were told nothing yet: carol, missing from Redis, is not shown leaving.
    for (const w of [byUser, byConnection, counter]) expect(await presenceFrames(w)).toStrictEqual([]);
    expect(seen.values).toStrictEqual([]);

    heldC.release();
    await availability(engineC, true);
    const id = (client: RawClient): string => client.welcome!.id;
    expect(await told(byUser, 2)).toEqual(['join dave', 'leave alice dropped']);
    expect(await told(byConnection, 2)).toEqual([`join ${id(d1)}`, `leave ${id(a1)} dropped`]);
    expect(await seen.until(2)).toEqual(['join dave', 'leave alice dropped']);
    const truth = (await b.presence('room')).map((m) => m.user).sort();
    expect(truth).toEqual(['bob', 'carol', 'dave']);
    expect(view.members().map((m) => m.id).sort()).toEqual(truth);
    // Nothing else, nothing twice: no leave or join of bob or carol on any of b's watches, and the
    // count watch, 3 connections before and after (alice's gone, dave's new), is told no count.
    for (const w of [byUser, byConnection, counter]) expect(await presenceFrames(w)).toStrictEqual([]);
    expect(seen.values).toHaveLength(2);
    expect(engineB.rejoins.waiting).toBe(false);
  });

  it('a router that does not write its members back within the lease is taken as gone (its members leave, dropped), and they join once it does', async () => {
    redis = await startRedisServer({ own: true });
    const [, engineA] = await node('a');
    const [b, engineB] = await node('b');
    const [c, engineC] = await node('c');
    await clients.member(c, 'carol');
    const [byUser] = await clients.watcher(b, 'user');
    await peersKnown([engineA, engineB, engineC]);
    const heldC = holdRejoin(engineC);

    const down = Promise.all([engineA, engineB, engineC].map((e) => availability(e, false)));
    await redis.kill();
    await down;
    await redis.restart();
    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    await heldC.held.until(1);
    // b's wait for c ends with the lease (3 s after b found the new master): carol is gone.
    expect(await told(byUser, 1)).toEqual(['leave carol dropped']);
    expect(engineB.rejoins.waiting).toBe(false);
    expect(await b.presence('room')).toEqual([]);

    heldC.release();
    await availability(engineC, true);
    expect(await told(byUser, 1)).toEqual(['join carol']);
    expect((await b.presence('room')).map((m) => m.user)).toEqual(['carol']);
    expect(await presenceFrames(byUser)).toStrictEqual([]);
  });

  it('the rejoins announced before b was back count: b reads the master\'s rejoin set and waits for nobody', async () => {
    redis = await startRedisServer({ own: true });
    // The bound is longer than the test's timeout: only the rejoin set can end b's wait.
    const options = { leaseMs: 120_000 };
    const [a, engineA] = await node('a', options);
    const [b, engineB] = await node('b', options);
    const [c, engineC] = await node('c', options);
    const a1 = await clients.member(a, 'alice');
    await clients.member(c, 'carol');
    const [byUser] = await clients.watcher(b, 'user');
    await peersKnown([engineA, engineB, engineC]);
    const leftA = new Log<string>();
    a.on('disconnect', (client) => leftA.push(client.id));
    const heldB = holdRejoin(engineB);

    const down = Promise.all([engineA, engineB, engineC].map((e) => availability(e, false)));
    await redis.kill();
    await down;
    await a1.close();
    await leftA.until(1);
    await redis.restart();
    await Promise.all([availability(engineA, true), availability(engineC, true), heldB.held.until(1)]);
    expect(await redis.command('SMEMBERS', 'restart:rejoined:' + /run_id:(\w+)/.exec(await redis.command('INFO', 'server'))![1])).toContain(engineC.nodeId);
    heldB.release();
    await availability(engineB, true);
    expect(await told(byUser, 1)).toEqual(['leave alice dropped']);
    expect(engineB.rejoins.waiting).toBe(false);
    expect((await b.presence('room')).map((m) => m.user)).toEqual(['carol']);
    expect(await presenceFrames(byUser)).toStrictEqual([]);
  });

  it('a router whose setup fails after a restart writes its members back and announces it at its next connect (the new master is remembered only once it did)', async () => {
    redis = await startRedisServer({ own: true });
    const options = { leaseMs: 120_000 }; // only c's rejoin ends b's wait
    const [, engineA] = await node('a', options);
    const [b, engineB] = await node('b', options);
    const [c, engineC] = await node('c', options);
    await clients.member(c, 'carol');
    const [byUser] = await clients.watcher(b, 'user');
    await peersKnown([engineA, engineB, engineC]);
    const writes = new Log<string>();
    const reregister = engineC.presence.reregister.bind(engineC.presence);
    engineC.presence.reregister = () => (writes.push('reregister'), reregister());
    const announce = engineC.rejoins.announce.bind(engineC.rejoins);
    engineC.rejoins.announce = async (runId) => {
      writes.push('announce');
      // The first announce fails as a command would with Redis away again: c's setup starts over.
      if (writes.values.filter((w) => w === 'announce').length === 1) throw new Error('the connection went away');
      return announce(runId);
    };

    const down = Promise.all([engineA, engineB, engineC].map((e) => availability(e, false)));
    await redis.kill();
    await down;
    await redis.restart();
    await Promise.all([engineA, engineB, engineC].map((e) => availability(e, true)));
    // Written back once per setup (by the heartbeat that found c's lease gone, then because the
    // master still counts as new), announced at the second.
    expect(writes.values).toEqual(['reregister', 'announce', 'reregister', 'announce']);
    expect((await b.presence('room')).map((m) => m.user)).toEqual(['carol']);
    expect(engineB.rejoins.waiting).toBe(false);
    expect(await presenceFrames(byUser)).toStrictEqual([]); // carol never left
  });
});
