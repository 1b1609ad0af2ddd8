/**
 * `subscribe` refuses a `bufferSize` or `rewind` outside its range with `OPTION_INVALID` at the
 * call (call-options.ts): nothing is sent, the connection is unharmed, and both ends of each range
 * are taken by a real router.
 */
import { HeraldError } from '@herald/protocol';
import { expectError, optionCases, optionsAt, rejection, startRouter, type UncheckedNumberOptions } from '@herald/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SUBSCRIBE_OPTION_RANGES, type SubscribeOptions, connect } from '../src/index.js';

const TABLE = SUBSCRIBE_OPTION_RANGES;
const CASES = optionCases(TABLE);

// Compile-time: every number option of subscribe has a range in the table.
const everyOption: UncheckedNumberOptions<SubscribeOptions, typeof TABLE> extends never ? true : false = true;

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
