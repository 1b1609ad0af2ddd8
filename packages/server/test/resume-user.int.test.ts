/**
 * A resume token belongs to its user (issue #12): with `authenticate`, the verified user is part of
 * the token's signed data, so a token minted for user A does not let a connection authenticated as
 * user B take A's client id (its presence, its publish dedupe), whether A's connection is still open,
 * gone, or on another router of the cluster. Like any token that does not verify, it starts a new
 * session (no error; `welcome.id` tells the client); A's own token still resumes A.
 */
import { type ServerMessage } from '@herald/protocol';
import { Log, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { AuthContext, ClientInfo, Identity } from '../src/index.js';

const SECRET = 'a shared secret of the cluster, 32+';
const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });
type Welcome = Extract<ServerMessage, { type: 'welcome' }>;
const welcomeOf = (client: RawClient): Welcome => client.welcome!;

describe('resume tokens are tied to the user', () => {
  it("another user's token starts a new session, on this router and on another sharing the secret; the owner's resumes", async () => {
    await using a = await startRouter({ authenticate, resumeSecret: SECRET });
    await using b = await startRouter({ authenticate, resumeSecret: SECRET });
    const disconnects = new Log<ClientInfo>();
    a.on('disconnect', (client) => disconnects.push(client));
    const alice = await RawClient.welcomed(a.url, { token: 'alice' });
    const { id, resume } = welcomeOf(alice);
    await alice.destroy();
    await disconnects.until(1);

    // Alice's session is gone: Bob with her token gets an id of his own, here and on router b.
    await using bobHere = await RawClient.welcomed(a.url, { token: 'bob', resume });
    expect(welcomeOf(bobHere)).toMatchObject({ user: 'bob' });
    expect(welcomeOf(bobHere).id).not.toBe(id);
    await using bobThere = await RawClient.welcomed(b.url, { token: 'bob', resume });
    expect(welcomeOf(bobThere).id).not.toBe(id);
    // Bob's welcome token is his, not a copy of Alice's.
    expect(welcomeOf(bobHere).resume).not.toBe(resume);

    // Alice's own token still resumes her, on either router.
    await using aliceBack = await RawClient.welcomed(b.url, { token: 'alice', resume });
    expect(welcomeOf(aliceBack)).toMatchObject({ id, user: 'alice' });
    expect(a.clients().map((c) => c.user).sort()).toStrictEqual(['bob']);
  });

  it("a live session is not taken over by another user's connection bringing its token", async () => {
    await using router = await startRouter({ authenticate, resumeSecret: SECRET });
    await using alice = await RawClient.subscribed(router.url, 'bridge', { token: 'alice' });
    const { id, resume } = welcomeOf(alice);
    await using bob = await RawClient.welcomed(router.url, { token: 'bob', resume });
    expect(welcomeOf(bob).id).not.toBe(id);
    expect(await alice.drain()).toStrictEqual([]); // still open, not closed 4003
    expect((await router.presence('bridge')).map((m) => [m.id, m.user])).toStrictEqual([[id, 'alice']]);
  });

  it('a token minted without authenticate does not resume on a router with it (the user is not in it)', async () => {
    await using open = await startRouter({ resumeSecret: SECRET });
    await using guarded = await startRouter({ authenticate, resumeSecret: SECRET });
    await using anonymous = await RawClient.welcomed(open.url, { name: 'x' });
    const { id, resume } = welcomeOf(anonymous);
    await using alice = await RawClient.welcomed(guarded.url, { token: 'alice', resume });
    expect(welcomeOf(alice).id).not.toBe(id);
  });
});
