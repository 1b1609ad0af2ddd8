/**
 * The fixture the multi-process suites share: one real redis-server for the file, three router
 * processes on it per test (each test on a key prefix of its own), and raw clients; all of them
 * ended after each test. Call once at the top of a test file.
 */
import { RawClient, type RouterProcess, spawnRouter, startRedisServer } from '@herald/testkit';
import { afterAll, afterEach } from 'vitest';

export type ThreeNodes = [RouterProcess, RouterProcess, RouterProcess];

export async function clusterFixture(prefix: string, env: Record<string, string> = {}) {
  const redis = await startRedisServer();
  afterAll(() => redis[Symbol.asyncDispose]());

  let cluster = 0;
  let nodes: RouterProcess[] = [];
  let clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients) await c[Symbol.asyncDispose]();
    await Promise.all(nodes.map((n) => n.kill()));
    clients = [];
    nodes = [];
  });

  return {
    redis,
    /** The key prefix of the latest `threeNodes()` cluster. */
    prefix: (): string => `${prefix}${cluster}:`,
    /** Three router processes over the Redis, named n1, n2 and n3, on a fresh key prefix. */
    async threeNodes(): Promise<ThreeNodes> {
      const base = { ...env, HERALD_REDIS_URL: redis.url, HERALD_REDIS_PREFIX: `${prefix}${++cluster}:` };
      nodes = await Promise.all(['n1', 'n2', 'n3'].map((name) => spawnRouter(0, { ...base, HERALD_ROUTER_NAME: name })));
      return nodes as ThreeNodes;
    },
    /** A raw client welcomed by `node`, closed after the test. */
    async client(node: RouterProcess, name: string): Promise<RawClient> {
      const c = await RawClient.welcomed(node.url, { name });
      clients.push(c);
      return c;
    },
  };
}
