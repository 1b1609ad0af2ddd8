/**
 * `router.disconnectUser` across a cluster (issue #12): three router processes on one real Redis;
 * asked on one node, it closes the user's connections on every node with 4102 (`AUTH_REVOKED:
 * reason`) and leaves other users alone. The processes authenticate each hello as the user its
 * token names and expose `test.disconnect_user` (testkit's router process, `HERALD_TEST_AUTH`).
 * They run the built packages (`pnpm build` first; `pnpm test` does).
 */
import { CloseCode, ErrorCode } from '@herald/protocol';
import { RawClient } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { clusterFixture } from './cluster-fixture.js';

const { threeNodes } = await clusterFixture('disconnect-user', { HERALD_TEST_AUTH: '1' });

describe('disconnectUser over Redis', { timeout: 60_000 }, () => {
  it('asked on one node, closes the user on every node with 4102 and the reason; other users stay', async () => {
    const [n1, n2, n3] = await threeNodes();
    await using a1 = await RawClient.welcomed(n1.url, { token: 'alice' });
    await using a2 = await RawClient.welcomed(n2.url, { token: 'alice' });
    await using a3 = await RawClient.welcomed(n3.url, { token: 'alice' });
    await using a3b = await RawClient.welcomed(n3.url, { token: 'alice' });
    await using bob = await RawClient.welcomed(n2.url, { token: 'bob' });
    await using admin = await RawClient.welcomed(n1.url, { token: 'admin' });

    admin.send({ type: 'request', id: 1, method: 'test.disconnect_user' }, '{"json":{"user":"alice","reason":"fired"}}');
    const reply = await admin.nextOf('response');
    expect(reply).toMatchObject({ type: 'response', id: 1, payload: '{"json":1}' }); // n1's own: one

    for (const alice of [a1, a2, a3, a3b]) {
      const closed = await alice.closed;
      expect(closed.code).toBe(CloseCode.AUTH_REVOKED);
      expect(closed.reason.startsWith(`${ErrorCode.AUTH_REVOKED}:`)).toBe(true);
    }
    // Bob and the admin are still connected (a ping answered), on their own nodes.
    expect(await bob.drain()).toStrictEqual([]);
    expect(await admin.drain()).toStrictEqual([]);
  });
});
