/**
 * `subscribe` refuses a `bufferSize` or `rewind` outside its range, and `request` a `timeout`
 * outside its own, with `OPTION_INVALID` at the call (call-options.ts): nothing is sent, the
 * connection is unharmed, and both ends of each range are taken by a real router.
 */
import { HeraldError } from '@herald/protocol';
import { expectError, optionCases, optionsAt, rejection, startRouter, type UncheckedNumberOptions } from '@herald/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQUEST_OPTION_RANGES, type RequestOptions, SUBSCRIBE_OPTION_RANGES, type SubscribeOptions, connect } from '../src/index.js';

const TABLE = SUBSCRIBE_OPTION_RANGES;
const CASES = optionCases(TABLE);

// Compile-time: every number option of subscribe and request has a range in the table.
const everyOption: UncheckedNumberOptions<SubscribeOptions, typeof TABLE> extends never ? true : false = true;
const everyRequestOption: UncheckedNumberOptions<RequestOptions, typeof REQUEST_OPTION_RANGES> extends never ? true : false = true;

describe('subscribe option ranges', () => {
  it('the table covers every number option (checked by the compiler)', () => {
    expect(everyOption).toBe(true);
    expect(CASES.map((c) => c.path)).toEqual(['bufferSize', 'rewind']);
  });

  it.each(CASES.map((c) => [c.path, c] as const))('%s: out of range rejects with OPTION_INVALID and subscribes nothing; both ends are taken', async (path, { accepted, refused }) => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    for (const value of refused) {
      expectError(await rejection(client.subscribe('t.a', optionsAt(TABLE, path, value))), HeraldError, 'OPTION_INVALID');
      // The same, with a handler before the options.
      expectError(await rejection(client.subscribe('t.a', () => {}, optionsAt(TABLE, path, value))), HeraldError, 'OPTION_INVALID');
    }
    expect(router.stats().subscriptions).toBe(0);
    for (const value of accepted) {
      const subscription = await client.subscribe('t.a', optionsAt(TABLE, path, value));
      await subscription.unsubscribe();
    }
  });

  it('property: a random bufferSize is taken iff it is an integer from 0 to 1e9 (checked before anything is sent)', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-1, 0, 0.5, 1e9, 1e9 + 1)), async (bufferSize) => {
        const taken = Number.isInteger(bufferSize) && bufferSize >= 0 && bufferSize <= 1e9;
        const outcome = await client.subscribe('p.q', { bufferSize }).then(
          async (subscription) => (await subscription.unsubscribe(), 'subscribed'),
          (error: unknown) => error,
        );
        if (taken) expect(outcome).toBe('subscribed');
        else expectError(outcome, HeraldError, 'OPTION_INVALID');
      }),
      { numRuns: 100 },
    );
  });
});

describe('request option ranges', () => {
  const CASES = optionCases(REQUEST_OPTION_RANGES);

  it('the table covers every number option (checked by the compiler)', () => {
    expect(everyRequestOption).toBe(true);
    expect(CASES.map((c) => c.path)).toEqual(['timeout']);
  });

  it.each(CASES.map((c) => [c.path, c] as const))('%s: out of range rejects with OPTION_INVALID (it was PROTOCOL_INVALID_MESSAGE) and sends nothing; both ends are taken', async (path, { accepted, refused }) => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller' });
    let calls = 0;
    await provider.handle('echo', (params) => (calls++, params));
    for (const value of refused) expectError(await rejection(caller.request('echo', 1, optionsAt(REQUEST_OPTION_RANGES, path, value))), HeraldError, 'OPTION_INVALID');
    expect(calls).toBe(0);
    // 0 is a valid timeout that may fire before the reply: the result or TIMEOUT, never OPTION_INVALID.
    for (const value of accepted) {
      const outcome = await caller.request('echo', 1, optionsAt(REQUEST_OPTION_RANGES, path, value)).catch((error: unknown) => error);
      if (outcome !== 1) expectError(outcome, HeraldError, 'TIMEOUT');
    }
  });

  it('property: a random timeout is taken iff it is a number from 0 to 2^53 - 1 (checked before anything is sent)', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller' });
    await provider.handle('echo', (params) => params);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-1, -0.5, 0.5, 2 ** 53 - 1, 2 ** 53)), async (timeout) => {
        const taken = timeout >= 0 && timeout <= Number.MAX_SAFE_INTEGER;
        const outcome = await caller.request('echo', 1, { timeout }).catch((error: unknown) => error);
        if (!taken) expectError(outcome, HeraldError, 'OPTION_INVALID');
        else if (outcome !== 1) expectError(outcome, HeraldError, 'TIMEOUT');
      }),
      { numRuns: 100 },
    );
  });
});
