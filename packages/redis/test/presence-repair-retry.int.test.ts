/**
 * A presence repair whose read Redis refuses is retried (real redis-server of the test's own, two
 * routers in this process): b's engine logs in as an ACL user whose `HVALS` (the members read) is
 * taken away while b's Pub/Sub connection is away (`CLIENT KILL TYPE pubsub`) and members change
 * on a; once b is back, its repair read is refused (NOPERM), and its watches keep what they had
 * until the retry (after 0.5-1 s, timers faked) reads again, `HVALS` given back: then each watch
 * (raw per user, raw per connection, the client's `presence()` view) is told exactly the
 * difference, once, and the client's view equals Redis's. The backoff, the one timer per topic and
 * the watches that start meanwhile: packages/server/test/presence-repair-retry.int.test.ts.
 */
import { type PresenceMember, type Router, silentLogger } from '@herald/server';
import { EngineWrapper, Log, type RedisServer, startRedisServer, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type RedisEngine, redisEngine } from '../src/index.js';
import { availability } from './engine-nodes.js';
import { PresenceClients, authenticate, told } from './presence-clients.fixture.js';

let redis: RedisServer | undefined;
let routers: Router[] = [];
let clients = new PresenceClients();

afterEach(async () => {
  vi.useRealTimers();
  await clients.close();
  await Promise.all(routers.map((r) => r.close()));
  await redis?.[Symbol.asyncDispose]();
  [clients, routers, redis] = [new PresenceClients(), [], undefined];
});

/** A Redis engine whose `members` reads are logged as they end: `read`, or `failed`. */
class ReadOutcomes extends EngineWrapper {
  readonly outcomes = new Log<string>();

  override members(topic: string): Promise<PresenceMember[]> {
    return this.inner.members(topic).then(
      (members) => {
        this.outcomes.push('read');
        return members;
      },
      (error: unknown) => {
        this.outcomes.push('failed');
        throw error;
      },
    );
  }
}

async function node(name: string, url: string, options: { minBackoffMs?: number; maxBackoffMs?: number } = {}): Promise<[Router, RedisEngine, ReadOutcomes]> {
  // A long lease: the test fakes timers for a while, and no router must be taken for lost meanwhile.
  const engine = redisEngine({ url, prefix: 'retry:', logger: silentLogger, leaseMs: 60_000, ...options });
  const observed = new ReadOutcomes(engine);
  const router = await startRouter({ name, engine: observed, authenticate, presenceGraceMs: 0, logger: silentLogger });
  routers.push(router);
  return [router, engine, observed];
}




describe('presence over Redis: a repair read that fails', { timeout: 60_000 }, () => {
  it('is retried, and every watch of the topic is told the difference once Redis answers', async () => {
    redis = await startRedisServer({ own: true });
    await redis.command('ACL', 'SETUSER', 'b', 'on', '>secret', '~*', '&*', '+@all');
    const [a, engineA] = await node('a', redis.url);
    const [b, engineB, reads] = await node('b', redis.url.replace('redis://', 'redis://b:secret@'), { minBackoffMs: 2500, maxBackoffMs: 5000 });
    const a1 = await clients.member(a, 'alice');
    const [byUser, users] = await clients.watcher(b, 'user');
    expect(users).toMatchObject({ members: [{ id: 'alice' }] });
    const [byConnection] = await clients.watcher(b, 'connection');
    const { view, seen } = await clients.sdkWatcher(b);
    expect(view.members().map((m) => m.id)).toEqual(['alice']);
    const leftA = new Log<string>();
    a.on('disconnect', (client) => leftA.push(client.id));

    await redis.command('ACL', 'SETUSER', 'b', '-hvals'); // b can no longer read the members
    const away = Promise.all([availability(engineA, false), availability(engineB, false)]);
    expect(await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub')).toMatch(/^:[1-9]/);
    await away;
    await availability(engineA, true); // a's Pub/Sub comes back at once, b's after 2.5 s
    const c1 = await clients.member(a, 'carol');
    await a1.close();
    await leftA.until(1);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // b's reconnect timer is already set, real
    const before = reads.outcomes.values.length;
    await availability(engineB, true);
    await reads.outcomes.until(before + 1);
    expect(reads.outcomes.values.slice(before)).toEqual(['failed']); // NOPERM
    for (const w of [byUser, byConnection]) expect(await w.drain()).toStrictEqual([]);
    expect(seen.values).toEqual([]);

    await redis.command('ACL', 'SETUSER', 'b', '+hvals');
    await vi.advanceTimersByTimeAsync(1000); // the retry
    expect(await told(byUser, 2)).toEqual(['join carol', 'leave alice dropped']);
    expect(await told(byConnection, 2)).toEqual([`join ${c1.welcome!.id}`, `leave ${a1.welcome!.id} dropped`]);
    expect(await seen.until(2)).toEqual(['join carol', 'leave alice dropped']);
    expect(reads.outcomes.values.slice(before)).toEqual(['failed', 'read']); // one read per retry, for three watches
    vi.useRealTimers();

    const truth = (await b.presence('room')).map((m) => m.user);
    expect(truth).toEqual(['carol']);
    expect(view.members().map((m) => m.id)).toEqual(truth);
    for (const w of [byUser, byConnection]) expect(await w.drain()).toStrictEqual([]); // nothing twice
  });
});
