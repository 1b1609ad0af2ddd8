/**
 * `router.presenceCount(topic)`: how many members a topic has without the member list (issue
 * #12), counted as the router's `presenceBy` defines a member: per user with `authenticate` (tabs
 * of one user are one member), per connection without, or as asked.
 */
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { AuthContext, Identity } from '../src/index.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

describe('router.presenceCount', () => {
  it('counts users on a router with authenticate (two tabs are one member), connections when asked', async () => {
    await using router = await startRouter({ authenticate });
    await using a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using a2 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using b = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    await using other = await RawClient.subscribed(router.url, 'elsewhere', { token: 'carol' });
    expect(await router.presenceCount('room')).toBe(2);
    expect(await router.presenceCount('room', { by: 'connection' })).toBe(3);
    expect(await router.presenceCount('elsewhere')).toBe(1);
    expect(await router.presenceCount('nobody.here')).toBe(0);
    expect((await router.presence('room')).length).toBe(3); // the member list is per connection
  });

  it('counts connections on a router without authenticate, and follows joins and leaves', async () => {
    await using router = await startRouter();
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push(await RawClient.subscribed(router.url, 'big.topic', { name: `c${i}` }));
    expect(await router.presenceCount('big.topic')).toBe(5);
    expect(await router.presenceCount('big.topic', { by: 'user' })).toBe(5); // no user: each connection its own
    await clients[0]!.close();
    await clients[1]!.close();
    await expect.poll(() => router.presenceCount('big.topic')).toBe(3);
    for (const client of clients.slice(2)) await client.close();
  });

  it('refuses an invalid topic like router.presence', async () => {
    await using router = await startRouter();
    await expect(router.presenceCount('bad..topic')).rejects.toMatchObject({ code: expect.any(String) });
  });
});
