/**
 * `connect` refuses a number option outside its range, two that contradict each other
 * (CONNECT_OPTION_PAIRS), or URLs that are not a URL string or a non-empty list of them, with
 * `OPTION_INVALID` before it dials (connect-options.ts), and takes both ends of every range. No network: the WebSocket of these clients only counts the dials and
 * fails them.
 */
import { HeraldError, MAX_TIMER_MS } from '@herald/protocol';
import { expectError, optionCases, optionPairCases, optionsAt, rejection, type UncheckedNumberOptions } from '@herald/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONNECT_OPTION_PAIRS, CONNECT_OPTION_RANGES, type ConnectOptions, type ReconnectOptions, connect } from '../src/index.js';

const TABLE = CONNECT_OPTION_RANGES;
const CASES = optionCases(TABLE);

// Compile-time: every number option of connect and of `reconnect` has a range in the table.
const everyOption: UncheckedNumberOptions<ConnectOptions, typeof TABLE> extends never ? true : false = true;
const everyReconnectOption: UncheckedNumberOptions<ReconnectOptions, typeof TABLE.reconnect> extends never ? true : false = true;

/** The options with `value` at `path`, beside the widest other option of its pair (the pairs are tested below). */
function at(path: string, value: unknown): Record<string, unknown> {
  const options = optionsAt(TABLE, path, value);
  return path === 'reconnect.minDelayMs' ? { reconnect: { ...(options.reconnect as object), maxDelayMs: MAX_TIMER_MS } } : options;
}

/** Connects with `options` (to `urls`) through a WebSocket that fails at once; resolves with the error and the dials made. */
async function attempt(options: Record<string, unknown>, ...to: [urls?: unknown]): Promise<{ error: unknown; dials: number }> {
  const urls = to.length === 0 ? 'ws://127.0.0.1:9/' : to[0];
  let dials = 0;
  const WebSocket = class {
    constructor() {
      dials++;
      throw new Error('no network in this test');
    }
  } as unknown as ConnectOptions['WebSocket'];
  const error = await rejection(connect(urls as string, { WebSocket, ...options }));
  return { error, dials };
}

describe('connect option ranges', () => {
  it('the table covers every number option (checked by the compiler)', () => {
    expect([everyOption, everyReconnectOption]).toEqual([true, true]);
    expect(CASES.map((c) => c.path)).toEqual([
      'connectTimeoutMs',
      'reconnect',
      'reconnect.minDelayMs',
      'reconnect.maxDelayMs',
      'reconnect.maxAttempts',
      'maxQueued',
      'heartbeatTimeoutMs',
      'maxAuthFailures',
    ]);
  });

  it.each(CASES.map((c) => [c.path, c] as const))('%s: every value out of range is refused with OPTION_INVALID, before dialling', async (path, { refused }) => {
    for (const value of refused) {
      const { error, dials } = await attempt(at(path, value));
      expectError(error, HeraldError, 'OPTION_INVALID');
      expect(dials).toBe(0);
    }
  });

  it.each(CASES.filter((c) => c.accepted.length > 0).map((c) => [c.path, c] as const))('%s: both ends of the range are taken (the client dials)', async (path, { accepted }) => {
    for (const value of accepted) {
      const { error, dials } = await attempt(at(path, value));
      expectError(error, HeraldError, 'CONNECTION_FAILED');
      expect(dials).toBe(1);
    }
  });

  it('the pair: reconnect.minDelayMs at most reconnect.maxDelayMs (a maxDelayMs alone below 500 ms caps the default)', () => {
    expect(CONNECT_OPTION_PAIRS.map((pair) => [pair.low, pair.high, pair.defaults])).toEqual([['reconnect.minDelayMs', 'reconnect.maxDelayMs', [500, 10_000]]]);
  });

  it.each(CONNECT_OPTION_PAIRS.flatMap((pair) => optionPairCases(pair).map((c) => [c.label, c] as const)))('pair: %s (before dialling)', async (_label, { options, taken }) => {
    const { error, dials } = await attempt(options);
    expectError(error, HeraldError, taken ? 'CONNECTION_FAILED' : 'OPTION_INVALID');
    expect(dials).toBe(taken ? 1 : 0);
  });

  it.each([
    ['an empty list (it was CONNECTION_FAILED)', []],
    ['an empty URL', ''],
    ['a list holding an empty URL', ['ws://127.0.0.1:9/', '']],
    ['a list holding a number', ['ws://127.0.0.1:9/', 9]],
    ['a URL object (pass url.href)', new URL('ws://127.0.0.1:9/')],
    ['a list holding a URL object', [new URL('ws://127.0.0.1:9/')]],
    ['no URL', undefined],
    ['null', null],
    ['a Set of URLs', new Set(['ws://127.0.0.1:9/'])],
  ])('urls: refuses %s with OPTION_INVALID, before dialling', async (_label, urls) => {
    const { error, dials } = await attempt({}, urls);
    expectError(error, HeraldError, 'OPTION_INVALID');
    expect(dials).toBe(0);
  });

  it('urls: takes one URL or a list of them, relative ones too (browsers resolve them; the WebSocket decides)', async () => {
    for (const urls of ['ws://127.0.0.1:9/', ['ws://127.0.0.1:9/', 'wss://127.0.0.1:9/x'], ['/herald'], 'memory://router']) {
      const { error, dials } = await attempt({ reconnect: false }, urls);
      expectError(error, HeraldError, 'CONNECTION_FAILED');
      expect(dials).toBeGreaterThan(0);
    }
  });

  it('reconnect: { maxAttempts: Infinity } (the default) is taken; other infinities are not', async () => {
    expect((await attempt({ reconnect: { maxAttempts: Number.POSITIVE_INFINITY } })).dials).toBe(1);
    expectError((await attempt({ maxQueued: Number.POSITIVE_INFINITY })).error, HeraldError, 'OPTION_INVALID');
  });

  it('property: a random value of a random option is taken iff it is an integer within its range', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CASES.filter((c) => c.accepted.length > 0)),
        fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-1, 0, 0.5, 1, 2 ** 31 - 1, 2 ** 31)),
        async ({ path }, value) => {
          let range: unknown = TABLE;
          for (const name of path.split('.')) range = (range as Record<string, unknown>)[name];
          const [min, max] = range as readonly [number, number];
          const taken = value >= min && value <= max && (Number.isInteger(value) || value === max);
          const { error, dials } = await attempt(at(path, value));
          expectError(error, HeraldError, taken ? 'CONNECTION_FAILED' : 'OPTION_INVALID');
          expect(dials).toBe(taken ? 1 : 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
