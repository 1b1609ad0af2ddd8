/**
 * The cluster-wide client list is written in batches (client-list.ts), on a real redis-server:
 * every change of one turn of the event loop is one HSET (and one HDEL), each client's latest
 * value wins, and the list read back equals what the router holds.
 */
import { type ClusterClient, silentLogger } from '@herald/server';
import { startRedisServer } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { redisEngine } from '../src/index.js';

function clientOf(id: string, subscriptions: string[]): ClusterClient {
  return { id, name: `name of ${id}`, address: '127.0.0.1', connectedAt: 1, subscriptions, router: { id: 'r', name: 'r' } };
}

/** Redis's count of calls of `command` since the server started. */
async function calls(redis: { command(...args: string[]): Promise<string> }, command: string): Promise<number> {
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await redis.command('INFO', 'commandstats'))?.[1] ?? 0);
}

describe('the client list', () => {
  it('one turn of changes is one HSET and one HDEL; the latest value of each client wins', async () => {
    await using redis = await startRedisServer({ own: true });
    const engine = redisEngine({ url: redis.url, prefix: 'list:', logger: silentLogger });
    await engine.start({ onPublication: () => {}, onPresence: () => {} });
    try {
      engine.trackClient('gone', clientOf('gone', []));
      await new Promise(setImmediate);
      expect((await engine.clients()).map((c) => c.id)).toEqual(['gone']);
      const [hsets, hdels] = [await calls(redis, 'hset'), await calls(redis, 'hdel')];
      // 100 clients connect and subscribe in one turn, and 'gone' leaves: two writes.
      for (let i = 0; i < 100; i++) engine.trackClient(`c${i}`, clientOf(`c${i}`, []));
      for (let i = 0; i < 100; i++) engine.trackClient(`c${i}`, clientOf(`c${i}`, ['room']));
      engine.trackClient('gone', undefined);
      await new Promise(setImmediate);
      const listed = await engine.clients(); // on the same connection: after the batch
      expect(listed.map((c) => c.id).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `c${i}`).sort());
      expect(listed.every((c) => c.subscriptions.length === 1 && c.subscriptions[0] === 'room')).toBe(true);
      expect([(await calls(redis, 'hset')) - hsets, (await calls(redis, 'hdel')) - hdels]).toEqual([1, 1]);
      // A client that comes and goes within one turn is not listed.
      engine.trackClient('brief', clientOf('brief', []));
      engine.trackClient('brief', undefined);
      await new Promise(setImmediate);
      expect((await engine.clients()).some((c) => c.id === 'brief')).toBe(false);
    } finally {
      await engine.close();
    }
  });
});
