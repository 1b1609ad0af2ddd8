/**
 * A presence watch reads the members from Redis (`HVALS`, counted with `INFO commandstats` on the
 * test's own redis-server) only when its router's shared view of the topic is not current
 * (presence-view.ts `current`): the first watch of a topic and grouping reads, the next ones take
 * the view, which every event since reached. While the router's Pub/Sub connection is away (events
 * may be lost), a watch reads as before; its snapshot may miss what was lost, and the repair once
 * the connection is back tells it the difference, as it tells every other watch; after the repair
 * the view is current again and new watches read nothing. With Redis down a watch fails
 * ENGINE_UNAVAILABLE, as before, rather than get a snapshot nobody can vouch for. Two routers in
 * this process over one real redis-server (the memory engine: packages/server/test/presence-watch-reads.int.test.ts).
 */
import { ErrorCode, type ServerMessage } from '@herald/protocol';
import { type Router, silentLogger } from '@herald/server';
import { RawClient, type RedisServer, startRedisServer, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, type RedisEngineOptions, redisEngine } from '../src/index.js';
import { availability } from './engine-nodes.js';
import { PresenceClients, authenticate } from './presence-clients.fixture.js';

let redis: RedisServer | undefined;
let routers: Router[] = [];
let clients = new PresenceClients();

afterEach(async () => {
  await clients.close();
  await Promise.all(routers.map((r) => r.close()));
  await redis?.[Symbol.asyncDispose]();
  [clients, routers, redis] = [new PresenceClients(), [], undefined];
});

async function node(name: string, options: RedisEngineOptions = {}): Promise<[Router, RedisEngine]> {
  redis ??= await startRedisServer({ own: true });
  const engine = redisEngine({ url: redis.url, prefix: 'reads:', logger: silentLogger, ...options });
  const router = await startRouter({ name, engine, authenticate, presenceGraceMs: 0 });
  routers.push(router);
  return [router, engine];
}



/** `HVALS` calls (the members reads) Redis served since it started. */
async function hvals(): Promise<number> {
  return Number(/cmdstat_hvals:calls=(\d+)/.exec(await redis!.command('INFO', 'commandstats'))?.[1] ?? 0);
}

const ids = (state: ServerMessage): string[] => (state as Extract<ServerMessage, { type: 'presence_state' }>).members.map((m) => m.id);

describe('presence watches over Redis read the members only when their view is not current', { timeout: 60_000 }, () => {
  it('ten watches of a topic on one router: one HVALS, for the first; each is told the next join once', async () => {
    const [a] = await node('a');
    const [b] = await node('b');
    await clients.member(a, 'alice');
    const before = await hvals();
    const watches: RawClient[] = [];
    for (let i = 0; i < 10; i++) {
      const [w, state] = await clients.watcher(b);
      expect(ids(state)).toEqual(['alice']);
      watches.push(w);
    }
    expect((await hvals()) - before).toBe(1);
    await clients.member(a, 'bob');
    for (const w of watches) {
      expect(await w.next()).toMatchObject({ type: 'presence_join', topic: 'room', member: { id: 'bob' } });
      expect(await w.drain()).toStrictEqual([]);
    }
  });

  it('while its Pub/Sub connection is away a watch reads; the repair tells it what it missed; then new watches read nothing', async () => {
    const [a, engineA] = await node('a');
    const [b, engineB] = await node('b', { minBackoffMs: 2500, maxBackoffMs: 5000 }); // b's Pub/Sub back after 2.5 s
    await clients.member(a, 'alice');
    const [w1, s1] = await clients.watcher(b);
    expect(ids(s1)).toEqual(['alice']);
    const away = Promise.all([availability(engineA, false), availability(engineB, false)]);
    expect(await redis!.command('CLIENT', 'KILL', 'TYPE', 'pubsub')).toMatch(/^:[1-9]/);
    await away;
    let bBack = false;
    engineB.on('available', (now) => (bBack ||= now));
    await availability(engineA, true);
    await clients.member(a, 'carol'); // its join is lost to b
    const before = await hvals();
    const [w2, s2] = await clients.watcher(b); // b's engine is away: the watch reads (the command connection answers)
    expect(await hvals()).toBe(before + 1);
    expect(bBack).toBe(false);
    // From b's view, which missed carol: the repair below tells it, as it tells w1.
    expect(ids(s2)).toEqual(['alice']);

    await availability(engineB, true);
    for (const w of [w1, w2]) {
      expect(await w.next()).toMatchObject({ type: 'presence_join', member: { id: 'carol' } });
      expect(await w.drain()).toStrictEqual([]);
    }
    const repaired = await hvals(); // the repair's read
    expect(repaired).toBe(before + 2);
    const [, s3] = await clients.watcher(b); // the view is current: no read
    expect(ids(s3)).toEqual(['alice', 'carol']);
    expect(await hvals()).toBe(repaired);
    expect((await b.presence('room')).map((m) => m.user)).toEqual(['alice', 'carol']);
  });

  it('with Redis down, a watch of a seeded view fails ENGINE_UNAVAILABLE instead of getting a snapshot', async () => {
    const [a] = await node('a');
    const [b, engineB] = await node('b');
    await clients.member(a, 'alice');
    await clients.watcher(b);
    const down = availability(engineB, false);
    await redis!.kill();
    await down;
    const [, refused] = await clients.watcher(b);
    expect(refused).toMatchObject({ type: 'error', id: 1, code: ErrorCode.ENGINE_UNAVAILABLE });
  });
});
