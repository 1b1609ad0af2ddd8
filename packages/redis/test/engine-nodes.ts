/**
 * The fixture of the suites that run routers in this process on Redis engines over a Redis the
 * test starts and breaks (outage: a redis-server killed and restarted; sentinel: a failover):
 * routers and raw clients, all ended after each test, then what the test handed to `own` (its
 * Redis), once nothing uses it. Call once at the top of a test file.
 */
import type { ServerMessage } from '@herald/protocol';
import { type Router, silentLogger } from '@herald/server';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach } from 'vitest';
import { type RedisEngine, type RedisEngineOptions, redisEngine } from '../src/index.js';

export type Message = Extract<ServerMessage, { type: 'message' }>;

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
    async client(router: Router, name: string): Promise<RawClient> {
      const c = await RawClient.welcomed(router.url, { name });
      clients.push(c);
      return c;
    },
  };
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
