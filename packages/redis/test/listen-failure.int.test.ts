/**
 * A router on a Redis engine whose port cannot be opened: `createRouter` rejects with
 * `LISTEN_FAILED` and closes the engine it had started, so the node it registered in Redis is
 * gone again (a router that never listened holds no lease other nodes must wait out) and its
 * connections end. The taken port is held by a server of the test on 127.0.0.1.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeraldError } from '@herald/protocol';
import { createRouter } from '@herald/server';
import { expectError, rejection, startRedisServer } from '@herald/testkit';
import { expect, it } from 'vitest';
import { redisEngine } from '../src/index.js';

it('a port in use: LISTEN_FAILED, and the engine resigned its node and closed', async () => {
  await using redis = await startRedisServer();
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  try {
    const engine = redisEngine({ url: redis.url, prefix: 'listen-failure:' });
    const starting = createRouter({ logger: false, engine, port: (holder.address() as AddressInfo).port });
    const error = expectError(await rejection(starting), HeraldError, 'LISTEN_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(await redis.command('ZCARD', 'listen-failure:nodes')).toBe(':0\r\n');
    expect(engine.available).toBe(false);
  } finally {
    holder.close();
    await once(holder, 'close');
  }
});
