/**
 * `router.disconnectUser` reaches every router that shares the engine (issue #12): here two
 * routers on the test kit's in-process cluster bus (the Redis engine is tested in
 * packages/redis/test/disconnect-user.int.test.ts, across processes). The router asked closes its
 * own connections of the user and returns their count; the other closes its own a moment later.
 */
import { CloseCode } from '@herald/protocol';
import { ClusterBus, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { AuthContext, Identity } from '../src/index.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

describe('disconnectUser across routers', () => {
  it('closes the user on the other router too, with 4102; other users stay', async () => {
    const bus = new ClusterBus();
    await using a = await startRouter({ authenticate, engine: bus.engine('a') });
    await using b = await startRouter({ authenticate, engine: bus.engine('b') });
    await using onA = await RawClient.welcomed(a.url, { token: 'alice' });
    await using onB1 = await RawClient.welcomed(b.url, { token: 'alice' });
    await using onB2 = await RawClient.welcomed(b.url, { token: 'alice' });
    await using bob = await RawClient.welcomed(b.url, { token: 'bob' });
    expect(a.disconnectUser('alice', { reason: 'fired' })).toBe(1);
    for (const client of [onA, onB1, onB2]) expect((await client.closed).code).toBe(CloseCode.AUTH_REVOKED);
    expect(await bob.drain()).toStrictEqual([]);
    expect(b.clients().map((c) => c.user)).toStrictEqual(['bob']);
  });
});
