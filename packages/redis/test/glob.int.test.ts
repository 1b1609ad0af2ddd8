/**
 * Pattern globs against a real Redis: for random patterns and topics (with Redis' glob characters
 * `\ * ? [ ]` inside segments), every topic Herald's matcher accepts is matched by the pattern's
 * glob (Redis' own matcher, through SCAN MATCH), so PSUBSCRIBE never misses a publication; the
 * engine re-matches what the glob lets through.
 */
import { matchPattern } from '@herald/protocol';
import { startRedisServer } from '@herald/testkit';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { patternGlob } from '../src/glob.js';

const server = await startRedisServer();
const redis = new Redis(server.url, { lazyConnect: true });
await redis.connect();
afterAll(async () => {
  redis.disconnect();
  await server[Symbol.asyncDispose]();
});

const literal = fc.stringMatching(/^[a-c\\*?[\]^-]{1,3}$/).map((s) => s.replaceAll('*', '?')); // '*' is not allowed inside a topic segment
const topic = fc.array(literal, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('.'));
const pattern = fc
  .tuple(fc.array(fc.oneof(literal, fc.constant('*')), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([segments, tail]) => [...segments, ...(tail ? ['>'] : [])].join('.'));

it('a pattern glob matches every topic the pattern matches', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(pattern, fc.array(topic, { minLength: 1, maxLength: 8 }), async (p, topics) => {
      const prefix = `glob${++n}:`;
      await redis.mset(Object.fromEntries(topics.map((t) => [`${prefix}${t}`, '1'])));
      const globbed = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', patternGlob(prefix, p), 'COUNT', 1000);
        for (const k of keys) globbed.add(k.slice(prefix.length));
        cursor = next;
      } while (cursor !== '0');
      await redis.del(...topics.map((t) => `${prefix}${t}`));
      for (const t of topics) if (matchPattern(p, t)) expect(globbed.has(t), `${p} → ${patternGlob(prefix, p)} misses ${t}`).toBe(true);
    }),
    { numRuns: 200 },
  );
});
