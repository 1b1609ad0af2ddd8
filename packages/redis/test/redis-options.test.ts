/**
 * `redisEngine` refuses a number option outside its range, two options that contradict each other
 * (REDIS_ENGINE_OPTION_PAIRS: a lease not longer than the heartbeat, a minBackoffMs above
 * maxBackoffMs), and the options checked by hand (url, prefix, history patterns), with
 * `OPTION_INVALID` when it is made (redis-options.ts), and takes both ends of every range. No
 * Redis: an engine connects only on start.
 */
import { HeraldError, MAX_TIMER_MS } from '@herald/protocol';
import { expectError, optionCases, optionPairCases, optionsAt, thrown, type UncheckedNumberOptions } from '@herald/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDIS_ENGINE_OPTION_PAIRS, REDIS_ENGINE_OPTION_RANGES, type RedisEngineOptions, redisEngine } from '../src/index.js';

const TABLE = REDIS_ENGINE_OPTION_RANGES;
const CASES = optionCases(TABLE);

// Compile-time: every number option of the engine has a range in the table.
const everyOption: UncheckedNumberOptions<RedisEngineOptions, typeof TABLE> extends never ? true : false = true;

describe('redisEngine option ranges', () => {
  it('the table covers every number option (checked by the compiler)', () => {
    expect(everyOption).toBe(true);
    expect(CASES.map((c) => c.path)).toContain('history.ttlMs');
  });

  it.each(CASES.map((c) => [c.path, c] as const))('%s: refused out of range, taken at both ends', (path, { accepted, refused }) => {
    // Options of a pair bound each other: each end of one is taken beside the widest other.
    const companion = COMPANIONS[path] ?? {};
    for (const value of refused) expectError(thrown(() => redisEngine({ url: 'redis://127.0.0.1:9', ...companion, ...optionsAt(TABLE, path, value) })), HeraldError, 'OPTION_INVALID');
    for (const value of accepted) expect(thrown(() => redisEngine({ url: 'redis://127.0.0.1:9', ...companion, ...optionsAt(TABLE, path, value) }))).toBeUndefined();
  });
});

const COMPANIONS: Record<string, RedisEngineOptions> = {
  leaseMs: { heartbeatIntervalMs: 1 },
  heartbeatIntervalMs: { leaseMs: MAX_TIMER_MS },
  minBackoffMs: { maxBackoffMs: MAX_TIMER_MS },
};

describe('redisEngine option pairs', () => {
  it('the pairs: the lease outlasts the heartbeat (defaults included), minBackoffMs at most maxBackoffMs (a maxBackoffMs alone caps the default)', () => {
    expect(REDIS_ENGINE_OPTION_PAIRS.map((pair) => [pair.low, pair.high, pair.defaults])).toEqual([
      ['heartbeatIntervalMs', 'leaseMs', [1000, 3000]],
      ['minBackoffMs', 'maxBackoffMs', [10, 2000]],
    ]);
  });

  it.each(REDIS_ENGINE_OPTION_PAIRS.flatMap((pair) => optionPairCases(pair).map((c) => [c.label, c] as const)))('%s', (_label, { options, taken }) => {
    const outcome = thrown(() => redisEngine({ url: 'redis://127.0.0.1:9', ...options }));
    if (taken) expect(outcome).toBeUndefined();
    else expectError(outcome, HeraldError, 'OPTION_INVALID');
  });
});

describe('redisEngine options checked by hand', () => {
  it.each([
    ['an empty url', { url: '' }],
    ['a url that is not a string', { url: 6379 }],
    ['a prefix that is not a string', { prefix: 7 }],
    ['a malformed history pattern', { history: [{ pattern: 'a..b', limit: 1, ttlMs: 1 }] }],
    ['a history pattern that is not a string', { history: { pattern: 3, limit: 1, ttlMs: 1 } }],
  ])('refuses %s with OPTION_INVALID', (_label, options) => {
    expectError(thrown(() => redisEngine(options as RedisEngineOptions)), HeraldError, 'OPTION_INVALID');
  });

  it('never quotes the URL (it may hold a password)', () => {
    const error = expectError(thrown(() => redisEngine({ url: 'redis://:hunter2-secret@127.0.0.1:9', leaseMs: 10 })), HeraldError, 'OPTION_INVALID');
    expect(error.message).not.toContain('hunter2');
  });

  it('takes a lease 1 ms longer than the heartbeat, a valid history pattern and an empty prefix', () => {
    expect(thrown(() => redisEngine({ heartbeatIntervalMs: 500, leaseMs: 501, prefix: '', history: [{ pattern: 'a.*.b', limit: 1, ttlMs: 1 }, { pattern: 'c.>', limit: 1, ttlMs: 1 }] }))).toBeUndefined();
  });

  it('property: a heartbeat and lease pair is taken iff both are in range and the lease is longer', () => {
    const ms = fc.oneof(fc.integer({ min: -5, max: 10_000 }), fc.constantFrom(MAX_TIMER_MS - 1, MAX_TIMER_MS, MAX_TIMER_MS + 1));
    fc.assert(
      fc.property(ms, ms, (heartbeatIntervalMs, leaseMs) => {
        const taken = heartbeatIntervalMs >= 1 && heartbeatIntervalMs <= MAX_TIMER_MS - 1 && leaseMs >= 2 && leaseMs <= MAX_TIMER_MS && leaseMs > heartbeatIntervalMs;
        const outcome = thrown(() => redisEngine({ heartbeatIntervalMs, leaseMs }));
        if (taken) expect(outcome).toBeUndefined();
        else expectError(outcome, HeraldError, 'OPTION_INVALID');
      }),
    );
  });
});
