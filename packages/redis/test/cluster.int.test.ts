/**
 * Three routers in this process over one real redis-server act as one: fan-out across nodes
 * exactly once (exact and pattern subscriptions on one connection too), in publish order; offsets
 * the same everywhere; presence and the client list cluster-wide; `publish` idempotent by `pid`.
 */
import type { ServerMessage } from '@herald/protocol';
import { type Router, silentLogger } from '@herald/server';
import { Log, RawClient, startRedisServer, startRouter } from '@herald/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../src/index.js';

const redis = await startRedisServer();
afterAll(() => redis[Symbol.asyncDispose]());

let cluster = 0;
let routers: Router[] = [];
let engines: RedisEngine[] = [];
let clients: RawClient[] = [];

/** Three routers sharing one prefix (a fresh cluster per test). */
async function threeRouters(): Promise<[Router, Router, Router]> {
  const prefix = `cluster${++cluster}:`;
  engines = ['a', 'b', 'c'].map(() => redisEngine({ url: redis.url, prefix, logger: silentLogger }));
  const make = (name: string, i: number): Promise<Router> => startRouter({ name, engine: engines[i]! });
  routers = await Promise.all([make('a', 0), make('b', 1), make('c', 2)]);
  return routers as [Router, Router, Router];
}

async function client(router: Router, name: string): Promise<RawClient> {
  const c = await RawClient.welcomed(router.url, { name });
  clients.push(c);
  return c;
}

async function subscribe(c: RawClient, id: number, pattern: string): Promise<void> {
  c.send({ type: 'subscribe', id, pattern });
  expect(await c.nextOf('subscribed')).toMatchObject({ id, pattern });
}

/** The `message` frames a client gets until (and including) the one with `payload`. */
async function messagesUntil(c: RawClient, payload: string): Promise<Array<Extract<ServerMessage, { type: 'message' }>>> {
  const messages: Array<Extract<ServerMessage, { type: 'message' }>> = [];
  for (;;) {
    const message = await c.nextOf('message');
    messages.push(message);
    if (message.payload === payload) return messages;
  }
}

afterEach(async () => {
  for (const c of clients) await c[Symbol.asyncDispose]();
  await Promise.all(routers.map((r) => r.close()));
  clients = [];
  routers = [];
});

describe('three routers over one Redis', () => {
  it('fan out a publish from any node to every matching subscriber on every node, once, in order', async () => {
    const [a, b, c] = await threeRouters();
    const publisher = await client(a, 'publisher');
    const both = await client(b, 'both'); // exact and pattern on one connection: still once
    await subscribe(both, 1, 'sensors.kitchen.temp');
    await subscribe(both, 2, 'sensors.*.temp');
    await subscribe(both, 3, 'sensors.>');
    const wild = await client(c, 'wild');
    await subscribe(wild, 1, 'sensors.>');
    const local = await client(a, 'local');
    await subscribe(local, 1, 'sensors.*.temp');
    const other = await client(c, 'other'); // a glob over-match (`*` crosses dots in Redis) must not reach it
    await subscribe(other, 1, 'sensors.*');

    for (let i = 1; i <= 30; i++) publisher.send({ type: 'publish', topic: 'sensors.kitchen.temp' }, `{"json":${i}}`);
    publisher.send({ type: 'publish', topic: 'sensors.kitchen' }, '{"json":"end"}');
    for (const subscriber of [both, wild, local]) {
      const got = (await messagesUntil(subscriber, '{"json":30}')).map((m) => [m.topic, m.payload, m.offset, m.from.name]);
      expect(got).toEqual(Array.from({ length: 30 }, (_, i) => ['sensors.kitchen.temp', `{"json":${i + 1}}`, i + 1, 'publisher']));
    }
    // The end marker went out after the 30: any late copy would have come before it.
    expect((await messagesUntil(both, '{"json":"end"}')).map((m) => m.topic)).toEqual(['sensors.kitchen']);
    expect((await messagesUntil(wild, '{"json":"end"}')).map((m) => m.topic)).toEqual(['sensors.kitchen']);
    expect((await messagesUntil(other, '{"json":"end"}')).map((m) => m.topic)).toEqual(['sensors.kitchen']);
    expect(await both.drain()).toEqual([]);
    // Node b got each publish three times from Redis (exact, `sensors.*.temp`, `sensors.>`) and kept one.
    expect(engines[1]!.counters.copiesDropped).toBeGreaterThanOrEqual(60);
  });

  it('stamps the same epoch and offsets whichever node publishes, and any node replays them', async () => {
    const [a, b, c] = await threeRouters();
    const first = await a.publish('orders.1', { n: 1 });
    const second = await b.publish('orders.1', { n: 2 });
    const third = await c.publish('orders.1', { n: 3 });
    expect([first.offset, second.offset, third.offset]).toEqual([1, 2, 3]);
    expect(new Set([first.epoch, second.epoch, third.epoch]).size).toBe(1);
    const late = await client(c, 'late');
    late.send({ type: 'subscribe', id: 1, pattern: 'orders.*', positions: [['orders.1', first.epoch, 1]], since: 0 });
    const replayed = [await late.next(), await late.next()];
    expect(replayed.map((m) => m.type === 'message' && [m.offset, m.replay])).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(await late.next()).toMatchObject({ type: 'subscribed', id: 1, recovered: true });
  });

  it('publishes once per pid within the dedupe window: the retry gets the original stamp', async () => {
    const engineA = redisEngine({ url: redis.url, prefix: `pid${++cluster}:`, logger: silentLogger });
    const seen: number[] = [];
    await engineA.start({ onPublication: (p) => seen.push(p.offset), onPresence: () => {} });
    await engineA.subscribe('s', 'pay.>');
    const publication = { topic: 'pay.1', codec: 'json', payload: Buffer.from('1'), from: { id: 'p', name: 'P' }, at: Date.now(), pid: 'p:1' };
    const original = await engineA.publish(publication);
    const retry = await engineA.publish(publication);
    const next = await engineA.publish({ ...publication, pid: 'p:2' });
    expect(retry).toEqual(original);
    expect(next.offset).toBe(original.offset + 1);
    expect((await engineA.history('pay.1', { last: 10 })).messages.map((m) => m.offset)).toEqual([1, 2]);
    await engineA.close();
  });

  it('acknowledges a retried publish (same pid) with the original stamp, and delivers it once', async () => {
    const [a, b] = await threeRouters();
    const subscriber = await client(b, 'subscriber');
    await subscribe(subscriber, 1, 'orders.>');
    const publisher = await client(a, 'publisher');
    expect(publisher.welcome?.dedupeMs).toBe(120_000);
    publisher.send({ type: 'publish', id: 1, pid: 'p1', topic: 'orders.new' }, '{"json":1}');
    const first = await publisher.nextOf('publish_ack');
    publisher.send({ type: 'publish', id: 2, pid: 'p1', topic: 'orders.new' }, '{"json":1}');
    const retry = await publisher.nextOf('publish_ack');
    publisher.send({ type: 'publish', id: 3, pid: 'p2', topic: 'orders.new' }, '{"json":"end"}');
    await publisher.nextOf('publish_ack');
    expect([retry.epoch, retry.offset]).toEqual([first.epoch, first.offset]);
    expect((await messagesUntil(subscriber, '{"json":"end"}')).map((m) => [m.offset, m.payload])).toEqual([
      [1, '{"json":1}'],
      [2, '{"json":"end"}'],
    ]);
  });

  it('shares presence and the client list across nodes', async () => {
    const [a, b, c] = await threeRouters();
    const watcher = await client(a, 'watcher');
    watcher.send({ type: 'presence_watch', id: 1, topic: 'room' });
    expect(await watcher.nextOf('presence_state')).toMatchObject({ id: 1, topic: 'room', members: [] });
    const alice = await client(b, 'alice');
    await subscribe(alice, 1, 'room');
    const bob = await client(c, 'bob');
    await subscribe(bob, 1, 'room');
    expect(await watcher.nextOf('presence_join')).toMatchObject({ topic: 'room', member: { name: 'alice' } });
    expect(await watcher.nextOf('presence_join')).toMatchObject({ topic: 'room', member: { name: 'bob' } });
    expect((await a.presence('room')).map((m) => m.name)).toEqual(['alice', 'bob']);
    const everyone = await c.clients({ cluster: true });
    expect(everyone.map((x) => [x.name, x.router.name, x.subscriptions]).sort()).toEqual([
      ['alice', 'b', ['room']],
      ['bob', 'c', ['room']],
      ['watcher', 'a', []],
    ]);
    await alice.close();
    expect(await watcher.nextOf('presence_leave')).toMatchObject({ topic: 'room', member: { name: 'alice' }, reason: 'closed' });
    expect((await b.presence('room')).map((m) => m.name)).toEqual(['bob']);
  });

  it('a member whose client resumed on another node moves there: the old node cannot end it', async () => {
    const prefix = `resume${++cluster}:`;
    const events = new Log<string>();
    const listener = { onPublication: () => {}, onPresence: (e: { type: string; member: { id: string } }) => events.push(`${e.type}:${e.member.id}`) };
    const [one, two] = [redisEngine({ url: redis.url, prefix, logger: silentLogger }), redisEngine({ url: redis.url, prefix, logger: silentLogger })];
    await one.start(listener);
    await two.start({ onPublication: () => {}, onPresence: () => {} });
    try {
      const member = { id: 'm1', name: 'Mia', connectedAt: 1 };
      await one.join('room', member);
      await two.join('room', member); // the same client, resumed on node two: no second join
      await one.leave('room', 'm1', 'dropped'); // node one notices its old socket died: not its member any more
      expect((await two.members('room')).map((m) => m.id)).toEqual(['m1']);
      await two.leave('room', 'm1', 'closed');
      await one.join('room', { id: 'm2', name: 'Max', connectedAt: 2 }); // a marker: events come in order
      expect(await events.until(3)).toEqual(['join:m1', 'leave:m1', 'join:m2']);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('reports whether Redis is reachable', async () => {
    const [a] = await threeRouters();
    expect(a.engineAvailable).toBe(true);
  });
});
