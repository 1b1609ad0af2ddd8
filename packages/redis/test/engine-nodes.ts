/**
 * The fixture of the suites that run routers in this process on Redis engines over a Redis the
 * test starts and breaks (outage: a redis-server killed and restarted; sentinel: a failover):
 * routers and raw clients, all ended after each test, then what the test handed to `own` (its
 * Redis), once nothing uses it. Call once at the top of a test file.
 */
import { CloseCode, type ServerMessage } from '@herald/protocol';
import { type Router, silentLogger } from '@herald/server';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, expect } from 'vitest';
import { type RedisEngine, type RedisEngineOptions, redisEngine } from '../src/index.js';

export type Message = Extract<ServerMessage, { type: 'message' }>;

/** A stream through two routers, which the outage tests then break under them (see `stockStream`). */
export interface StockStream {
  /** Of `stock.>`, on the second router. */
  readonly subscriber: RawClient;
  /** On the first router; its first three messages of `stock.x` reached the subscriber. */
  readonly publisher: RawClient;
  /** The epoch of those messages (offsets 1 to 3). */
  readonly epoch: string;
}

export function engineNodes() {
  let routers: Router[] = [];
  let clients: RawClient[] = [];
  let owned: AsyncDisposable[] = [];
  afterEach(async () => {
    for (const c of clients) await c[Symbol.asyncDispose]();
    await Promise.all(routers.map((r) => r.close()));
    for (const resource of owned) await resource[Symbol.asyncDispose]();
    clients = [];
    routers = [];
    owned = [];
  });

  return {
    /** `resource` (the test's Redis), ended after the test's routers and clients. */
    own<T extends AsyncDisposable>(resource: T): T {
      owned.push(resource);
      return resource;
    },
    /** A router named `name` on a Redis engine with `options` (no logs), closed after the test. */
    async node(name: string, options: RedisEngineOptions): Promise<[Router, RedisEngine]> {
      const engine = redisEngine({ logger: silentLogger, ...options });
      const router = await startRouter({ name, engine });
      routers.push(router);
      return [router, engine];
    },
    /** A raw client welcomed by `router`, closed after the test. */
    client,
    /** A `subscriber` of `stock.>` on `b` and a `publisher` on `a`, three messages through. */
    async stockStream(a: Router, b: Router): Promise<StockStream> {
      const subscriber = await client(b, 'subscriber');
      subscriber.send({ type: 'subscribe', id: 1, pattern: 'stock.>' });
      await subscriber.nextOf('subscribed');
      const publisher = await client(a, 'publisher');
      for (let i = 1; i <= 3; i++) publisher.send({ type: 'publish', id: i, topic: 'stock.x' }, `{"json":${i}}`);
      const before = await messages(subscriber, 3);
      expect(before.map((m) => m.offset)).toEqual([1, 2, 3]);
      return { subscriber, publisher, epoch: before[0]!.epoch };
    },
  };

  async function client(router: Router, name: string): Promise<RawClient> {
    const c = await RawClient.welcomed(router.url, { name });
    clients.push(c);
    return c;
  }
}

/**
 * After the stream's engines came back on another Redis (one that may lack what the old one
 * acknowledged): the subscriber was told to recover (4201), the next publish starts a new epoch at
 * offset 1, and `late`, recovering from the old epoch, is told `epoch_changed` and gets the new
 * message. Returns the new epoch.
 */
export async function expectNewEpoch({ subscriber, publisher, epoch }: StockStream, late: RawClient): Promise<string> {
  expect((await subscriber.closed).code).toBe(CloseCode.RESYNC);
  publisher.send({ type: 'publish', id: 12, topic: 'stock.x' }, '{"json":4}');
  const after = await publisher.nextOf('publish_ack');
  expect(after).toMatchObject({ id: 12, topic: 'stock.x', offset: 1 });
  expect(after.epoch).not.toBe(epoch);
  late.send({ type: 'subscribe', id: 1, pattern: 'stock.>', positions: [['stock.x', epoch, 3]], since: 0 });
  expect(await late.next()).toMatchObject({ type: 'message', topic: 'stock.x', epoch: after.epoch, offset: 1, replay: 1 });
  expect(await late.next()).toMatchObject({ type: 'subscribed', id: 1, recovered: false, reason: 'epoch_changed', gaps: ['stock.x'] });
  return after.epoch;
}

/** Resolves once the engine's availability is `value`. */
export function availability(engine: RedisEngine, value: boolean): Promise<void> {
  if (engine.available === value) return Promise.resolve();
  return new Promise((resolve) => {
    const off = engine.on('available', (now) => {
      if (now !== value) return;
      off();
      resolve();
    });
  });
}

/** The next `n` messages `c` receives. */
export async function messages(c: RawClient, n: number): Promise<Message[]> {
  const got: Message[] = [];
  while (got.length < n) got.push(await c.nextOf('message'));
  return got;
}
