/**
 * `publish.pid` on the wire (issue 13): the same pid again from the same session is acknowledged
 * with the original stamp and reaches no subscriber twice; pids are scoped by the client's id, so
 * one client's pid never matches another's; a bad pid is refused; welcome tells the window.
 */
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

describe('publish.pid', () => {
  it('welcome says how long pids are remembered (dedupeMs)', async () => {
    await using router = await startRouter();
    await using client = await RawClient.welcomed(router.url);
    expect(client.welcome!.dedupeMs).toBe(120_000);
  });

  it('the same pid again is acknowledged with the original stamp and delivered once', async () => {
    await using router = await startRouter();
    await using subscriber = await RawClient.subscribed(router.url, 'orders');
    await using publisher = await RawClient.welcomed(router.url);
    publisher.send({ type: 'publish', id: 1, topic: 'orders', pid: 'p1' }, '{"json":1}');
    publisher.send({ type: 'publish', id: 2, topic: 'orders', pid: 'p1' }, '{"json":"ignored"}');
    publisher.send({ type: 'publish', id: 3, topic: 'orders', pid: 'p2' }, '{"json":2}');
    publisher.send({ type: 'publish', id: 4, topic: 'orders' }, '{"json":3}');
    const acks = [await publisher.next(), await publisher.next(), await publisher.next(), await publisher.next()];
    const epoch = (acks[0] as { epoch: string }).epoch;
    expect(acks.sort((a, b) => (a as { id: number }).id - (b as { id: number }).id)).toEqual([
      { type: 'publish_ack', id: 1, topic: 'orders', epoch, offset: 1 },
      { type: 'publish_ack', id: 2, topic: 'orders', epoch, offset: 1 },
      { type: 'publish_ack', id: 3, topic: 'orders', epoch, offset: 2 },
      { type: 'publish_ack', id: 4, topic: 'orders', epoch, offset: 3 },
    ]);
    const delivered = await subscriber.drain();
    expect(delivered.map((m) => [m.type, (m as { offset: number }).offset, (m as { payload: string }).payload])).toEqual([
      ['message', 1, '{"json":1}'],
      ['message', 2, '{"json":2}'],
      ['message', 3, '{"json":3}'],
    ]);
    expect(router.stats().deliveries).toBe(3);
  });

  it('pids are per client: another client with the same pid publishes its own message', async () => {
    await using router = await startRouter();
    await using subscriber = await RawClient.subscribed(router.url, 'orders');
    await using a = await RawClient.welcomed(router.url);
    await using b = await RawClient.welcomed(router.url);
    a.send({ type: 'publish', id: 1, topic: 'orders', pid: 'same' }, '{"json":"a"}');
    expect(await a.next()).toMatchObject({ type: 'publish_ack', offset: 1 });
    b.send({ type: 'publish', id: 1, topic: 'orders', pid: 'same' }, '{"json":"b"}');
    expect(await b.next()).toMatchObject({ type: 'publish_ack', offset: 2 });
    expect((await subscriber.drain()).map((m) => (m as { payload: string }).payload)).toEqual(['{"json":"a"}', '{"json":"b"}']);
  });

  it('the same pid on another topic is another publication', async () => {
    await using router = await startRouter();
    await using publisher = await RawClient.welcomed(router.url);
    publisher.send({ type: 'publish', id: 1, topic: 'a', pid: 'x' }, '{"json":1}');
    expect(await publisher.next()).toMatchObject({ topic: 'a', offset: 1 });
    publisher.send({ type: 'publish', id: 2, topic: 'b', pid: 'x' }, '{"json":1}');
    expect(await publisher.next()).toMatchObject({ topic: 'b', offset: 1 });
    publisher.send({ type: 'publish', id: 3, topic: 'a', pid: 'y' }, '{"json":1}');
    expect(await publisher.next()).toMatchObject({ topic: 'a', offset: 2 });
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'p'.repeat(65)],
  ])('refuses a pid that is %s with PROTOCOL_INVALID_MESSAGE', async (_, pid) => {
    await using router = await startRouter();
    await using subscriber = await RawClient.subscribed(router.url, 'orders');
    await using publisher = await RawClient.welcomed(router.url);
    publisher.send({ type: 'publish', id: 1, topic: 'orders', pid }, '{"json":1}');
    expect(await publisher.next()).toMatchObject({ type: 'error', id: 1, code: 'PROTOCOL_INVALID_MESSAGE' });
    publisher.send({ type: 'publish', id: 2, topic: 'orders', pid: 'p'.repeat(64) }, '{"json":1}');
    expect(await publisher.next()).toMatchObject({ type: 'publish_ack', id: 2, offset: 1 });
    expect(await subscriber.drain()).toHaveLength(1);
  });
});
