/** The Redis engine against the Engine contract (the suite the in-memory engine passes too), on a real redis-server. */
import { silentLogger } from '@herald/server';
import { describeEngineConformance, startRedisServer } from '@herald/testkit';
import { afterAll } from 'vitest';
import { redisEngine } from '../src/index.js';

const redis = await startRedisServer();
afterAll(() => redis[Symbol.asyncDispose]());

let n = 0;
// A prefix per test: each starts from an empty cluster.
describeEngineConformance('RedisEngine', () => redisEngine({ url: redis.url, prefix: `conformance${++n}:`, logger: silentLogger }));
