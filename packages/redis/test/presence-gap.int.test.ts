/**
 * Presence watches repaired after a Pub/Sub outage (real redis-server of the test's own, two
 * routers in this process): while b's Pub/Sub connection is away (`CLIENT KILL TYPE pubsub`, b
 * reconnecting after 2.5 s), members join and leave on a; once b is back it reads the members of
 * its watched topic once, and each of its watches is told exactly what it missed, once: a raw
 * watch per user and one per connection (frames), and the client's `presence()` view, whose
 * members then equal the truth. And Redis restarted without persistence: the routers write their
 * members back, and b, having waited for a to do so, tells its watches only the member that left
 * (presence-restart.int.test.ts has three routers).
 */
import { type PresenceMember, type Router, silentLogger } from '@herald/server';
import { EngineWrapper, Log, RawClient, type RedisServer, startRedisServer, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, type RedisEngineOptions, redisEngine } from '../src/index.js';
import { availability } from './engine-nodes.js';
import { PresenceClients, authenticate, told } from './presence-clients.fixture.js';

let redis: RedisServer | undefined;
let routers: Router[] = [];
let clients = new PresenceClients();

afterEach(async () => {
  await clients.close();
  await Promise.all(routers.map((r) => r.close()));
  await redis?.[Symbol.asyncDispose]();
  [clients, routers, redis] = [new PresenceClients(), [], undefined];
});

/** A Redis engine whose `members` reads are logged. */
class CountsReads extends EngineWrapper {
  readonly reads = new Log<string>();

  override members(topic: string): Promise<PresenceMember[]> {
    this.reads.push(topic);
    return this.inner.members(topic);
  }
}

async function node(name: string, options: RedisEngineOptions = {}, counted?: (engine: RedisEngine) => CountsReads): Promise<[Router, RedisEngine]> {
  const engine = redisEngine({ url: redis!.url, prefix: 'gap:', logger: silentLogger, ...options });
  const router = await startRouter({ name, engine: counted?.(engine) ?? engine, authenticate, presenceGraceMs: 0 });
  routers.push(router);
  return [router, engine];
}

describe('presence over Redis after a Pub/Sub outage', { timeout: 60_000 }, () => {
  it('joins and leaves b missed are told to each of its watches once, and the client view equals the truth', async () => {
    redis = await startRedisServer({ own: true });
    const [a, engineA] = await node('a');
    const [b, engineB] = await node('b', { minBackoffMs: 2500, maxBackoffMs: 5000 });
    const a1 = await clients.member(a, 'alice');
    const b1 = await clients.member(a, 'bob');
    const [byUser, users] = await clients.watcher(b, 'user');
    expect(users).toMatchObject({ members: [{ id: 'alice' }, { id: 'bob' }] });
    const [byConnection] = await clients.watcher(b, 'connection');
    const { view, seen } = await clients.sdkWatcher(b);
    expect(view.members().map((m) => m.id)).toEqual(['alice', 'bob']);
    const leftA = new Log<string>();
    a.on('disconnect', (client) => leftA.push(client.id));

    const away = Promise.all([availability(engineA, false), availability(engineB, false)]);
    expect(await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub')).toMatch(/^:[1-9]/);
    await away;
    let bBack = false;
    engineB.on('available', (now) => (bBack ||= now));
    await availability(engineA, true); // a's Pub/Sub comes back at once, b's after 2.5 s
    const c1 = await clients.member(a, 'carol');
    const b2 = await clients.member(a, 'bob');
    await a1.close();
    await b1.close();
    await leftA.until(2);
    expect(bBack).toBe(false); // all of it happened while b's Pub/Sub was away

    await availability(engineB, true);
    const id = (c: RawClient): string => c.welcome!.id;
    expect(await told(byUser, 2)).toEqual(['join carol', 'leave alice dropped']);
    expect(await told(byConnection, 4)).toEqual([`join ${id(c1)}`, `join ${id(b2)}`, `leave ${id(a1)} dropped`, `leave ${id(b1)} dropped`]);
    expect(await seen.until(2)).toEqual(['join carol', 'leave alice dropped']);
    const truth = (await b.presence('room')).map((m) => m.user);
    expect(truth).toEqual(['carol', 'bob']);
    expect(view.members().map((m) => m.id).sort()).toEqual([...new Set(truth)].sort());
    for (const w of [byUser, byConnection]) expect(await w.drain()).toStrictEqual([]); // nothing twice
    expect(b.stats().presenceViews).toMatchObject({ views: 2, members: 4, connections: 4 });

    // Live again: the next join reaches every watch once.
    const d1 = await clients.member(a, 'dave');
    expect(await told(byUser, 1)).toEqual(['join dave']);
    expect(await told(byConnection, 1)).toEqual([`join ${id(d1)}`]);
    expect(await seen.until(3)).toEqual(['join carol', 'leave alice dropped', 'join dave']);
    expect(seen.values).toHaveLength(3);
  });

  it("Redis restarted without persistence: once back, b's watches equal Redis again (a leave during the outage told once)", async () => {
    redis = await startRedisServer({ own: true });
    const [a, engineA] = await node('a');
    const [b, engineB] = await node('b');
    const a1 = await clients.member(a, 'alice');
    await clients.member(a, 'bob');
    const [byUser] = await clients.watcher(b, 'user');
    const { view, seen } = await clients.sdkWatcher(b);
    expect(view.members().map((m) => m.id)).toEqual(['alice', 'bob']);
    const leftA = new Log<string>();
    a.on('disconnect', (client) => leftA.push(client.id));
    // b's lease saw a alive before the restart: its repair read waits for a to write bob back.
    await expect.poll(() => engineB.lease.peers).toContain(engineA.nodeId);

    const down = Promise.all([availability(engineA, false), availability(engineB, false)]);
    await redis.kill();
    await down;
    await a1.close(); // its leave waits for Redis
    await leftA.until(1);
    await redis.restart();
    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    // b reads the members once a wrote bob back (whichever router is back first): bob never left.
    expect(await seen.until(1)).toEqual(['leave alice dropped']);
    expect(view.members().map((m) => m.id)).toEqual(['bob']);
    expect((await b.presence('room')).map((m) => m.user)).toEqual(['bob']);
    expect(seen.values).toEqual(['leave alice dropped']);
    const frames = [...(await byUser.drain())].filter((f) => f.type === 'presence_join' || f.type === 'presence_leave');
    expect(frames.map((f) => `${f.type} ${f.member.id}`)).toEqual(seen.values.map((e) => `presence_${e.split(' ')[0]} ${e.split(' ')[1]}`));
  });

  it('its command connection lost (a repair read may have failed with it): the members are read again once it is back, once per topic', async () => {
    redis = await startRedisServer({ own: true });
    let counted: CountsReads | undefined;
    const [b, engineB] = await node('b', {}, (engine) => (counted = new CountsReads(engine)));
    const [w] = await clients.watcher(b, 'user');
    const [w2] = await clients.watcher(b, 'connection');
    const reads = counted!.reads.values.length;
    const down = availability(engineB, false);
    expect(await redis.command('CLIENT', 'KILL', 'TYPE', 'normal')).toMatch(/^:[1-9]/);
    await down;
    await availability(engineB, true);
    expect(await counted!.reads.until(reads + 1)).toHaveLength(reads + 1);
    for (const c of [w, w2]) expect(await c.drain()).toStrictEqual([]); // nothing was missed
    expect(counted!.reads.values.length).toBe(reads + 1); // one read for the topic, both views
  });
});
