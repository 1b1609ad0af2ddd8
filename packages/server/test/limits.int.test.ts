/**
 * `maxSubscriptions` (PROTOCOL.md sections 6 and 8): at most that many subscriptions per
 * connection, and separately at most that many presence watches; one more is refused with
 * `SUBSCRIPTION_LIMIT` and the connection stays open.
 */
import { SubscriptionError, connect } from '@herald/client';
import { type DefaultSchema, superjsonCodec } from '@herald/protocol';
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

const LIMIT = 3;

const limitError = (id: number) => ({ type: 'error', id, code: 'SUBSCRIPTION_LIMIT', message: expect.any(String) as string });

async function subscribe(raw: RawClient, id: number, pattern: string, extra: Record<string, unknown> = {}): Promise<unknown> {
  raw.send({ type: 'subscribe', id, pattern, ...extra });
  return raw.next();
}

async function watch(raw: RawClient, id: number, topic: string): Promise<unknown> {
  raw.send({ type: 'presence_watch', id, topic });
  return raw.next();
}

const subscribed = (id: number, pattern: string) => ({ type: 'subscribed', id, pattern, at: expect.any(Number) as number });

function subscriptionsOf(router: Router, name: string): string[] | undefined {
  return router.clients().find((client) => client.name === name)?.subscriptions;
}

describe('maxSubscriptions on the wire', () => {
  it('refuses one subscription too many, still confirms a repeated one, and makes room after an unsubscribe', async () => {
    await using router = await startRouter({ maxSubscriptions: LIMIT });
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    expect(await subscribe(raw, 1, 'a')).toEqual(subscribed(1, 'a'));
    expect(await subscribe(raw, 2, 'b.*')).toEqual(subscribed(2, 'b.*'));
    expect(await subscribe(raw, 3, 'c.>')).toEqual(subscribed(3, 'c.>'));
    expect(await subscribe(raw, 4, 'd')).toEqual(limitError(4));
    expect(await subscribe(raw, 5, 'b.*')).toEqual(subscribed(5, 'b.*'));
    expect(subscriptionsOf(router, 'raw')).toEqual(['a', 'b.*', 'c.>']);
    expect(await router.presence('d')).toEqual([]);

    // The refused pattern gets nothing.
    await using pub = await RawClient.welcomed(router.url, { name: 'pub' });
    pub.send({ type: 'publish', id: 1, topic: 'd' }, superjsonCodec.encode('nobody'));
    expect(await pub.next()).toMatchObject({ type: 'publish_ack', id: 1 });
    expect(await raw.drain()).toEqual([]);

    raw.send({ type: 'unsubscribe', id: 6, pattern: 'a' });
    expect(await raw.next()).toEqual({ type: 'unsubscribed', id: 6, pattern: 'a' });
    expect(await subscribe(raw, 7, 'd')).toEqual(subscribed(7, 'd'));
    expect(await subscribe(raw, 8, 'e')).toEqual(limitError(8));
    expect(subscriptionsOf(router, 'raw')).toEqual(['b.*', 'c.>', 'd']);
    expect((await router.presence('d')).map((m) => m.name)).toEqual(['raw']);
  });

  it('refuses a subscription past the limit without replaying anything', async () => {
    await using router = await startRouter({ maxSubscriptions: 1 });
    await using pub = await RawClient.welcomed(router.url, { name: 'pub' });
    pub.send({ type: 'publish', id: 1, topic: 'hist' }, superjsonCodec.encode(1));
    await pub.nextOf('publish_ack');
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    expect(await subscribe(raw, 1, 'first')).toEqual(subscribed(1, 'first'));
    expect(await subscribe(raw, 2, 'hist', { rewind: 10 })).toEqual(limitError(2));
    expect(await raw.drain()).toEqual([]);
  });

  it('counts per connection: another client has its own', async () => {
    await using router = await startRouter({ maxSubscriptions: 1 });
    await using one = await RawClient.welcomed(router.url, { name: 'one' });
    await using two = await RawClient.welcomed(router.url, { name: 'two' });
    expect(await subscribe(one, 1, 'x')).toEqual(subscribed(1, 'x'));
    expect(await subscribe(one, 2, 'y')).toEqual(limitError(2));
    expect(await subscribe(two, 1, 'y')).toEqual(subscribed(1, 'y'));
    expect(await subscribe(two, 2, 'x')).toEqual(limitError(2));
  });

  it('allows 1,000 subscriptions by default, and refuses the next', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url, { name: 'many' });
    for (let i = 1; i <= 1000; i++) raw.send({ type: 'subscribe', id: i, pattern: `t.${i}` });
    for (let i = 1; i <= 1000; i++) expect(await raw.next()).toEqual(subscribed(i, `t.${i}`));
    expect(await subscribe(raw, 1001, 't.1001')).toEqual(limitError(1001));
    expect(subscriptionsOf(router, 'many')).toHaveLength(1000);
  });
});

describe('maxSubscriptions for presence watches', () => {
  it('limits watches separately from subscriptions, by the same number', async () => {
    await using router = await startRouter({ maxSubscriptions: LIMIT });
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    for (const [id, pattern] of [
      [1, 's.1'],
      [2, 's.2'],
      [3, 's.3'],
    ] as const) {
      expect(await subscribe(raw, id, pattern)).toEqual(subscribed(id, pattern));
    }
    // Three subscriptions do not use up the watches.
    for (const [id, topic] of [
      [4, 'w.1'],
      [5, 'w.2'],
      [6, 's.1'],
    ] as const) {
      expect(await watch(raw, id, topic)).toMatchObject({ type: 'presence_state', id, topic });
    }
    expect(await watch(raw, 7, 'w.3')).toEqual(limitError(7));
    // Watching again a topic it watches is fine; after an unwatch another one fits.
    expect(await watch(raw, 8, 'w.2')).toMatchObject({ type: 'presence_state', id: 8, topic: 'w.2' });
    raw.send({ type: 'presence_unwatch', id: 9, topic: 'w.1' });
    expect(await raw.next()).toEqual({ type: 'presence_unwatched', id: 9, topic: 'w.1' });
    expect(await watch(raw, 10, 'w.3')).toMatchObject({ type: 'presence_state', id: 10, topic: 'w.3' });
    expect(await watch(raw, 11, 'w.4')).toEqual(limitError(11));
    // Three watches do not use up the subscriptions either.
    raw.send({ type: 'unsubscribe', id: 12, pattern: 's.3' });
    expect(await raw.next()).toEqual({ type: 'unsubscribed', id: 12, pattern: 's.3' });
    expect(await subscribe(raw, 13, 's.4')).toEqual(subscribed(13, 's.4'));
  });

  it('sends no presence events for a refused watch', async () => {
    await using router = await startRouter({ maxSubscriptions: 1 });
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    expect(await watch(raw, 1, 'w.1')).toMatchObject({ type: 'presence_state', id: 1 });
    expect(await watch(raw, 2, 'w.2')).toEqual(limitError(2));
    await using joiner = await RawClient.welcomed(router.url, { name: 'joiner' });
    expect(await subscribe(joiner, 1, 'w.2')).toEqual(subscribed(1, 'w.2'));
    expect(await raw.drain()).toEqual([]);
  });
});

describe('maxSubscriptions through the client API', () => {
  it('rejects client.subscribe with a SubscriptionError SUBSCRIPTION_LIMIT', async () => {
    await using router = await startRouter({ maxSubscriptions: LIMIT });
    await using client = await connect(router.url, { name: 'api' });
    const a = await client.subscribe('a');
    await client.subscribe('b');
    await client.subscribe('c');
    const refused = await client.subscribe('d').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SubscriptionError);
    expect(refused).toMatchObject({ code: 'SUBSCRIPTION_LIMIT' });
    expect(subscriptionsOf(router, 'api')).toEqual(['a', 'b', 'c']);
    // The same pattern again is not one more on the router.
    await client.subscribe('b');
    await a.unsubscribe();
    await client.subscribe('d');
    expect(subscriptionsOf(router, 'api')).toEqual(['b', 'c', 'd']);
    expect(client.state).toBe('open');
  });

  it('rejects client.presence past the limit of watches with SUBSCRIPTION_LIMIT', async () => {
    await using router = await startRouter({ maxSubscriptions: 1 });
    await using client = await connect(router.url, { name: 'api' });
    await client.presence('room.1');
    const refused = await client.presence('room.2').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SubscriptionError);
    expect(refused).toMatchObject({ code: 'SUBSCRIPTION_LIMIT' });
    expect(client.state).toBe('open');
  });
});
