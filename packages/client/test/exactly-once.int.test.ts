/**
 * Exactly-once publish (issue 13): a publish the router accepted but whose ack the drop swallowed
 * is sent again by the offline queue with the same publish id after the client resumed its
 * session; the router's engine returns the original stamp and publishes nothing, so subscribers
 * get the message once and `publish()` resolves with the original `(epoch, offset)`. Where the
 * session cannot resume (another router, another secret) the publish rejects CONNECTION_CLOSED as
 * before: nothing is sent twice.
 */
import { EngineWrapper, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { ConnectionError, type ConnectOptions, ErrorCode, type MessageMeta, connect } from '../src/index.js';

type Publication = Parameters<EngineWrapper['publish']>[0];
type Stamp = Awaited<ReturnType<EngineWrapper['publish']>>;
/** What the engine needs of its router: cutting a client. */
type Router = { disconnect(id: string, options: { terminate: boolean }): boolean };

const FAST: ConnectOptions = { reconnect: { minDelayMs: 1, maxDelayMs: 5 }, randomizeUrls: false };

/** An engine that cuts the publisher's socket once, right after its first publish was stamped. */
class AckLosingEngine extends EngineWrapper {
  router: Router | undefined;
  readonly calls: Array<{ pid: string | undefined; stamp: Stamp }> = [];
  #cut = false;

  override async publish(publication: Publication): Promise<Stamp> {
    const stamp = await this.inner.publish(publication);
    this.calls.push({ pid: publication.pid, stamp });
    if (!this.#cut && publication.from.name === 'publisher') {
      this.#cut = true;
      // Accepted and delivered; the ack goes to a socket that is gone.
      this.router!.disconnect(publication.from.id, { terminate: true });
    }
    return stamp;
  }
}

describe('exactly-once publish', () => {
  it('an ack lost with the connection: the publish is resent with its pid, subscribers get it once, publish() gets the original stamp', async () => {
    const engine = new AckLosingEngine();
    await using router = await startRouter({ engine });
    engine.router = router;
    await using subscriber = await connect(router.url, { name: 'subscriber' });
    const received: Array<[unknown, number]> = [];
    await subscriber.subscribe('orders', (data, meta: MessageMeta) => received.push([data, meta.offset]));
    await using publisher = await connect(router.url, { ...FAST, name: 'publisher' });
    const id = publisher.id;

    const ack = await publisher.publish('orders', { order: 1 });
    expect(publisher.id).toBe(id); // the session resumed
    const [first, retry] = engine.calls;
    expect(ack).toEqual({ topic: 'orders', ...first!.stamp });
    // The engine saw the same pid twice, scoped by the client's id, and answered the original stamp.
    expect(retry).toEqual(first);
    expect(first!.pid).toMatch(new RegExp(`^${id}:`));
    expect(engine.calls).toHaveLength(2);

    // The next publish is the next offset: nothing was published twice.
    expect(await publisher.publish('orders', { order: 2 })).toMatchObject({ offset: first!.stamp.offset + 1 });
    await subscriber.ping();
    expect(received).toEqual([
      [{ order: 1 }, 1],
      [{ order: 2 }, 2],
    ]);
  });

  it('where the session cannot resume (another router, another secret), the publish rejects CONNECTION_CLOSED and is not sent again', async () => {
    const engine = new AckLosingEngine();
    await using first = await startRouter({ engine });
    engine.router = first;
    await using second = await startRouter();
    const onSecond: string[] = [];
    await second.subscribe('orders', (data) => onSecond.push(JSON.stringify(data)));
    await using publisher = await connect([first.url, second.url], { ...FAST, name: 'publisher' });
    const id = publisher.id;

    const error = await publisher.publish('orders', { order: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect((error as ConnectionError).retryable).toBe(true);
    expect(publisher.router.id).toBe(second.id);
    expect(publisher.id).not.toBe(id);
    await publisher.publish('orders', { order: 2 });
    expect(onSecond).toEqual(['{"order":2}']);
  });

  it('publishes queued while reconnecting carry pids too and go out once, in order', async () => {
    await using router = await startRouter();
    await using subscriber = await connect(router.url);
    const received: unknown[] = [];
    await subscriber.subscribe('q', (data) => received.push(data));
    await using publisher = await connect(router.url, FAST);
    router.disconnect(publisher.id, { terminate: true });
    const acks = await Promise.all([1, 2, 3].map((n) => publisher.publish('q', n)));
    expect(acks.map((a) => a.offset)).toEqual([1, 2, 3]);
    await subscriber.ping();
    expect(received).toEqual([1, 2, 3]);
  });
});
