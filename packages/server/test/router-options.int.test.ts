/**
 * `createRouter` refuses a number or word option outside its range, or two options that contradict
 * each other (ROUTER_OPTION_PAIRS), with `OPTION_INVALID` before it makes anything
 * (router-options.ts), and takes both ends of every range.
 */
import { createServer } from 'node:http';
import { HeraldError, MAX_TIMER_MS, checkOptions } from '@herald/protocol';
import { expectError, optionCases, optionPairCases, optionsAt, rejection, type UncheckedNumberOptions } from '@herald/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConnectionLimits, MAX_OPTION_BYTES, ROUTER_OPTION_PAIRS, ROUTER_OPTION_RANGES, type RouterOptions, createRouter } from '../src/index.js';

const TABLE = ROUTER_OPTION_RANGES;
const CASES = optionCases(TABLE);
/** Ports checked, not opened: a router with `listen: false` still serves `metrics.port`. */
const PORTS = new Set(['metrics.port']);

/** Options whose type may hold a number, from a type (the table must name each of them). */
// Compile-time: every number option of the router and of its `limits` has a range in the table.
const everyRouterOption: UncheckedNumberOptions<RouterOptions, typeof TABLE> extends never ? true : false = true;
const everyLimit: UncheckedNumberOptions<ConnectionLimits, typeof TABLE.limits> extends never ? true : false = true;

/**
 * Options of a pair (ROUTER_OPTION_PAIRS) bound each other: each end of one is taken beside the
 * widest other (the pairs themselves are tested below).
 */
const COMPANIONS: Record<string, RouterOptions> = {
  maxPayload: { maxBufferedBytes: MAX_OPTION_BYTES },
  maxBufferedBytes: { maxPayload: 1 },
  requestTimeoutMs: { maxRequestTimeoutMs: MAX_TIMER_MS },
  heartbeatIntervalMs: { heartbeatTimeoutMs: MAX_TIMER_MS },
  heartbeatTimeoutMs: { heartbeatIntervalMs: 0 },
};

function create(options: Record<string, unknown>): Promise<unknown> {
  return createRouter({ listen: false, logger: false, ...options });
}

/** The options with `value` at `path`, beside that option's companion. */
function at(path: string, value: unknown): Record<string, unknown> {
  return { ...COMPANIONS[path], ...optionsAt(TABLE, path, value) };
}

describe('createRouter option ranges', () => {
  it('the table covers every number option (checked by the compiler) and each leaf has cases', () => {
    expect([everyRouterOption, everyLimit]).toEqual([true, true]);
    expect(CASES.filter((c) => c.refused.length === 0)).toEqual([]);
    expect(CASES.length).toBeGreaterThan(40);
  });

  it.each(CASES.map((c) => [c.path, c] as const))('%s: every value out of range is refused with OPTION_INVALID', async (path, { refused }) => {
    for (const value of refused) {
      const error = await rejection(create(at(path, value)));
      expectError(error, HeraldError, 'OPTION_INVALID');
    }
  });

  it.each(CASES.filter((c) => c.accepted.length > 0).map((c) => [c.path, c] as const))('%s: both ends of the range are taken', async (path, { accepted }) => {
    for (const value of accepted) {
      const options = at(path, value);
      if (PORTS.has(path)) {
        // The router would open this port: the check createRouter makes, without the router.
        expect(() => checkOptions('createRouter', options, TABLE)).not.toThrow();
        continue;
      }
      const router = (await create(options)) as { close(): Promise<void> };
      await router.close();
    }
  });

  it('a refused option leaves nothing behind: no upgrade listener on a given server, nothing listening', async () => {
    const server = createServer();
    const error = await rejection(createRouter({ server, logger: false, heartbeatIntervalMs: -1 }));
    expectError(error, HeraldError, 'OPTION_INVALID');
    expect([server.listening, server.listenerCount('upgrade'), server.listenerCount('request')]).toEqual([false, 0, 0]);
  });

  it.each(ROUTER_OPTION_PAIRS.flatMap((pair) => optionPairCases(pair).map((c) => [c.label, c] as const)))('pair: %s', async (_label, { options, taken }) => {
    const outcome = await create(options).then(
      async (router) => ((await (router as { close(): Promise<void> }).close()), 'created'),
      (error: unknown) => error,
    );
    if (taken) expect(outcome).toBe('created');
    else expectError(outcome, HeraldError, 'OPTION_INVALID');
  });

  it('the pairs are the request timeouts (a maxRequestTimeoutMs alone caps the default), the heartbeat (its timeout outlasts its interval, 0 is off) and the largest frame (under what a subscriber may have unread)', async () => {
    expect(ROUTER_OPTION_PAIRS.map((pair) => [pair.low, pair.high, pair.defaults])).toEqual([
      ['requestTimeoutMs', 'maxRequestTimeoutMs', [10_000, 300_000]],
      ['heartbeatIntervalMs', 'heartbeatTimeoutMs', [10_000, 30_000]],
      ['maxPayload', 'maxBufferedBytes', [1024 * 1024, 8 * 1024 * 1024]],
    ]);
    for (const options of [{ maxRequestTimeoutMs: 1 }, { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 1 }, { heartbeatIntervalMs: 0 }]) {
      await ((await create(options)) as { close(): Promise<void> }).close();
    }
    const server = createServer();
    expectError(await rejection(createRouter({ server, logger: false, heartbeatIntervalMs: 60_000 })), HeraldError, 'OPTION_INVALID');
    expect([server.listening, server.listenerCount('upgrade')]).toEqual([false, 0]);
  });

  it('a list of history rules is checked rule by rule', async () => {
    const rules = [{ pattern: 'a.>', limit: 10, ttlMs: 1000 }, { limit: -1, ttlMs: 1000 }];
    expectError(await rejection(create({ history: rules })), HeraldError, 'OPTION_INVALID');
    const router = (await create({ history: rules.slice(0, 1) })) as { close(): Promise<void> };
    await router.close();
  });

  it('property: a random value of a random number option is taken iff it is an integer (or a number, for rates) within its range', async () => {
    const numeric = CASES.filter((c) => c.accepted.length > 0 && typeof c.accepted[0] === 'number' && !PORTS.has(c.path));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...numeric),
        fc.oneof(fc.double(), fc.integer(), fc.integer({ min: -2, max: 2 ** 31 }), fc.constantFrom(-1, 0, 0.5, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 40, 2 ** 40 + 1)),
        async ({ path }, value) => {
          const range = rangeAt(path);
          const fractions = range[2] === 'fractions';
          const taken = !Number.isNaN(value) && value >= range[0] && value <= range[1] && (fractions || Number.isInteger(value));
          const outcome = await create(at(path, value)).then(
            async (router) => ((await (router as { close(): Promise<void> }).close()), 'created'),
            (error: unknown) => error,
          );
          if (taken) expect(outcome).toBe('created');
          else expectError(outcome, HeraldError, 'OPTION_INVALID');
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** The range at a dotted path of the table. */
function rangeAt(path: string): readonly [number, number, string?] {
  let spec: unknown = TABLE;
  for (const name of path.split('.')) spec = (spec as Record<string, unknown>)[name];
  return spec as readonly [number, number, string?];
}
