/**
 * `redisEngine` refuses a number option outside its range with `OPTION_INVALID` when it is made
 * (redis-options.ts), and takes both ends of every range. No Redis: an engine connects only on start.
 */
import { HeraldError } from '@herald/protocol';
import { expectError, optionCases, optionsAt } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { REDIS_ENGINE_OPTION_RANGES, type RedisEngineOptions, redisEngine } from '../src/index.js';

const TABLE = REDIS_ENGINE_OPTION_RANGES;
const CASES = optionCases(TABLE);

type NumberOptions<T> = { [K in keyof T]-?: number extends Extract<NonNullable<T[K]>, number> ? K : never }[keyof T];
// Compile-time: every number option of the engine has a range in the table.
const everyOption: Exclude<NumberOptions<RedisEngineOptions>, keyof typeof TABLE> extends never ? true : false = true;

function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('redisEngine option ranges', () => {
  it('the table covers every number option (checked by the compiler)', () => {
    expect(everyOption).toBe(true);
    expect(CASES.map((c) => c.path)).toContain('history.ttlMs');
  });

  it.each(CASES.map((c) => [c.path, c] as const))('%s: refused out of range, taken at both ends', (path, { accepted, refused }) => {
    for (const value of refused) expectError(thrown(() => redisEngine({ url: 'redis://127.0.0.1:9', ...optionsAt(TABLE, path, value) })), HeraldError, 'OPTION_INVALID');
    for (const value of accepted) expect(thrown(() => redisEngine({ url: 'redis://127.0.0.1:9', ...optionsAt(TABLE, path, value) }))).toBeUndefined();
  });
});
