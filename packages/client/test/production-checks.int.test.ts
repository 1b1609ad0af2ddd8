/**
 * What a production page keeps of the client's option checks (`VERBOSE_ERRORS` false, as
 * bundlers make it with NODE_ENV=production): the ranges of connect's and subscribe's options and
 * the shape of connect's URLs are left out (bundle-size.test.ts), but a `request` timeout goes on
 * the wire, so its range is still checked (client.ts): OPTION_INVALID, as in development, and
 * nothing is sent. An empty URL list still fails, as CONNECTION_FAILED (OPTION_INVALID elsewhere).
 */
import { expectError, rejection, startRouter } from '@herald/testkit';
import { describe, expect, it, vi } from 'vitest';
import { ConnectionError, HeraldError, connect } from '../src/index.js';

vi.mock('@herald/protocol', async (original) => ({ ...(await original<typeof import('@herald/protocol')>()), VERBOSE_ERRORS: false }));

describe('a production page', () => {
  it('refuses a request timeout out of range with OPTION_INVALID (not PROTOCOL_INVALID_MESSAGE), sending nothing', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller' });
    let calls = 0;
    await provider.handle('echo', (params) => (calls++, params));
    for (const timeout of [-1, -1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53]) {
      expectError(await rejection(caller.request('echo', 1, { timeout })), HeraldError, 'OPTION_INVALID');
    }
    expect(calls).toBe(0);
    expect(await caller.request('echo', 2, { timeout: 5000.5 })).toBe(2);
    expect(calls).toBe(1);
  });
});

describe('a production page, connect', () => {
  it('an empty URL list still fails at once, with CONNECTION_FAILED: the OPTION_INVALID check is left out with the messages', async () => {
    expectError(await rejection(connect([])), ConnectionError, 'CONNECTION_FAILED');
  });
});
