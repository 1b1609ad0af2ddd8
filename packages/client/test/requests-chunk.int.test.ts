/**
 * Requests live in a chunk loaded on first use. When it cannot be loaded (a page whose build was
 * replaced by a deploy, or offline), request(), handle() and methods() reject with
 * MODULE_LOAD_FAILED, not with the bundler's raw import error, and the client stays usable.
 */
import { connect } from '@herald/client';
import { rejection, startRouter } from '@herald/testkit';
import { describe, expect, it, vi } from 'vitest';

let loads = 0;
vi.mock('../src/requests.js', () => {
  loads++;
  throw new TypeError('Failed to fetch dynamically imported module: /assets/requests-x1y2.js');
});

describe('the requests chunk cannot be loaded', () => {
  it('request(), handle() and methods() reject with MODULE_LOAD_FAILED (retryable); the client stays open', async () => {
    await using router = await startRouter();
    const client = await connect(router.url, { reconnect: false });
    try {
      const requested = await rejection(client.request('math.add', { a: 1, b: 2 }));
      expect(requested).toMatchObject({ code: 'MODULE_LOAD_FAILED', retryable: true });
      expect(await rejection(client.handle('math.add', () => 3))).toMatchObject({ code: 'MODULE_LOAD_FAILED' });
      expect(await rejection(client.methods())).toMatchObject({ code: 'MODULE_LOAD_FAILED' });
      expect(loads).toBeGreaterThanOrEqual(1);

      expect(client.state).toBe('open');
      let delivered: (value: unknown) => void = () => {};
      const got = new Promise<unknown>((resolve) => (delivered = resolve));
      await client.subscribe('still.works', (value) => delivered(value));
      await client.publish('still.works', 42);
      expect(await got).toBe(42);
    } finally {
      await client.close();
    }
  });
});
