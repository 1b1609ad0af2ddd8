/**
 * Publish and subscribe through a real router: fan-out, ordering and offsets, wildcards, several
 * subscriptions per client, async iteration with break and overflow, throwing handlers.
 */
import { type Deferred, deferred, nextEvent, rejection, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import {
  type Client,
  type ConnectOptions,
  type Delivery,
  ErrorCode,
  type HeraldError,
  type MessageMeta,
  SubscriptionError,
  connect,
} from '../src/index.js';

/** Connects `n` clients; disposing the result closes them all. */
async function connectMany(url: string, n: number, options: ConnectOptions = {}) {
  const clients = await Promise.all(Array.from({ length: n }, (_, i) => connect(url, { name: `client-${i}`, ...options })));
  return {
    clients,
    async [Symbol.asyncDispose]() {
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

/** A handler that records every delivery, and a promise that resolves once it holds `n` of them. */
function recorder<T = unknown>(n: number): { handler: (data: unknown, meta: MessageMeta) => void; seen: Delivery<T>[]; done: Promise<Delivery<T>[]> } {
  const seen: Delivery<T>[] = [];
  const reached: Deferred<Delivery<T>[]> = deferred();
  return {
    seen,
    done: reached.promise,
    handler: (data, meta) => {
      seen.push({ data: data as T, meta });
      if (seen.length === n) reached.resolve(seen);
    },
  };
}

/** Reads `n` deliveries from an iterator (without ending it). */
async function read<T>(iterator: AsyncIterator<Delivery<T>>, n: number): Promise<Delivery<T>[]> {
  const out: Delivery<T>[] = [];
  for (let i = 0; i < n; i++) {
    const result = await iterator.next();
    if (result.done === true) throw new Error(`the iterator ended after ${i} of ${n} deliveries`);
    out.push(result.value);
  }
  return out;
}

/** Publishes the values in order (all sent before any ack is awaited) and returns the acked offsets. */
async function publishAll(client: Client, topic: string, values: readonly unknown[]): Promise<number[]> {
  const acks = await Promise.all(values.map((value) => client.publish(topic, value)));
  return acks.map((ack) => ack.offset);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('fan-out and order', () => {
  it('one publisher to 50 subscribers: all get all 200 messages in order, offsets 1..200, with publisher and topic', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url, { name: 'Scotty' });
    await using group = await connectMany(router.url, 50);
    const recorders = group.clients.map(() => recorder<number>(200));
    await Promise.all(group.clients.map((client, i) => client.subscribe('fan.out', recorders[i]!.handler)));
    const offsets = await publishAll(publisher, 'fan.out', range(0, 199));
    expect(offsets).toStrictEqual(range(1, 200));
    const all = await Promise.all(recorders.map((r) => r.done));
    expect(publisher.name).toBe('Scotty');
    for (const deliveries of all) {
      expect(deliveries.map((d) => d.data)).toStrictEqual(range(0, 199));
      expect(deliveries.map((d) => d.meta.offset)).toStrictEqual(range(1, 200));
      expect(new Set(deliveries.map((d) => d.meta.topic))).toStrictEqual(new Set(['fan.out']));
      expect(new Set(deliveries.map((d) => JSON.stringify(d.meta.publisher)))).toStrictEqual(
        new Set([JSON.stringify({ id: publisher.id, name: 'Scotty' })]),
      );
      expect(new Set(deliveries.map((d) => d.meta.epoch)).size).toBe(1);
    }
    // Nothing more arrives: 200 each, not more.
    await Promise.all(group.clients.map((client) => client.ping()));
    expect(recorders.map((r) => r.seen.length)).toStrictEqual(Array(50).fill(200));
  });

  it('a late subscriber receives only messages published after its subscribe resolved, offsets continuing', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url);
    await using early = await connect(router.url);
    await using late = await connect(router.url);
    const earlyRecorder = recorder<string>(6);
    const lateRecorder = recorder<string>(3);
    await early.subscribe('late.topic', earlyRecorder.handler);
    expect(await publishAll(publisher, 'late.topic', ['a', 'b', 'c'])).toStrictEqual([1, 2, 3]);
    await late.subscribe('late.topic', lateRecorder.handler);
    expect(await publishAll(publisher, 'late.topic', ['d', 'e', 'f'])).toStrictEqual([4, 5, 6]);
    const earlySeen = await earlyRecorder.done;
    const lateSeen = await lateRecorder.done;
    await late.ping();
    expect(lateRecorder.seen).toHaveLength(3);
    expect(lateSeen.map((d) => [d.data, d.meta.offset])).toStrictEqual([
      ['d', 4],
      ['e', 5],
      ['f', 6],
    ]);
    expect(earlySeen.map((d) => d.meta.offset)).toStrictEqual(range(1, 6));
    expect(lateSeen[0]!.meta.epoch).toBe(earlySeen[0]!.meta.epoch);
  });

  it('publishing to a topic without subscribers resolves with an ack: topic, epoch, growing offset', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url);
    const first = await publisher.publish('nobody.listens', 1);
    const second = await publisher.publish('nobody.listens', 2);
    const other = await publisher.publish('nobody.else', 3);
    expect(first.topic).toBe('nobody.listens');
    expect(typeof first.epoch).toBe('string');
    expect(first.epoch.length).toBeGreaterThan(0);
    expect([first.offset, second.offset]).toStrictEqual([1, 2]);
    expect(second.epoch).toBe(first.epoch);
    expect(other).toStrictEqual({ topic: 'nobody.else', epoch: expect.any(String), offset: 1 });
  });

  it('meta.publishedAt is a Date of when the router accepted the message', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const got = recorder(1);
    await client.subscribe('when.topic', got.handler);
    const before = Date.now();
    await client.publish('when.topic', 'now');
    const after = Date.now();
    const [{ meta }] = (await got.done) as [Delivery<unknown>];
    expect(meta.publishedAt).toBeInstanceOf(Date);
    expect(meta.publishedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(meta.publishedAt.getTime()).toBeLessThanOrEqual(after);
  });
});

describe('wildcards and several subscriptions', () => {
  it('sensors.*.temp, sensors.> and > receive exactly their topics', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url);
    await using group = await connectMany(router.url, 3);
    const patterns = ['sensors.*.temp', 'sensors.>', '>'] as const;
    const recorders = patterns.map(() => recorder<string>(Number.POSITIVE_INFINITY));
    await Promise.all(group.clients.map((client, i) => client.subscribe(patterns[i]!, recorders[i]!.handler)));
    const topics = ['sensors.kitchen.temp', 'sensors.kitchen.humidity', 'sensors.temp', 'sensors.a.b.temp', 'sensors', 'other.kitchen.temp', 'sensors.hall.temp'];
    for (const topic of topics) await publisher.publish(topic, topic);
    await Promise.all(group.clients.map((client) => client.ping()));
    const [star, tail, all] = recorders.map((r) => r.seen.map((d) => d.data));
    expect(star).toStrictEqual(['sensors.kitchen.temp', 'sensors.hall.temp']);
    expect(tail).toStrictEqual(['sensors.kitchen.temp', 'sensors.kitchen.humidity', 'sensors.temp', 'sensors.a.b.temp', 'sensors.hall.temp']);
    expect(all).toStrictEqual(topics);
    // meta.topic is the concrete topic, not the pattern.
    expect(recorders[0]!.seen.map((d) => d.meta.topic)).toStrictEqual(['sensors.kitchen.temp', 'sensors.hall.temp']);
  });

  it('two subscriptions with the same pattern on one client both get each message; unsubscribing one keeps the other', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const first = recorder<number>(Number.POSITIVE_INFINITY);
    const second = recorder<number>(Number.POSITIVE_INFINITY);
    const subFirst = await client.subscribe('dup.topic', first.handler);
    const subSecond = await client.subscribe('dup.topic', second.handler);
    await client.publish('dup.topic', 1);
    await client.ping();
    expect(first.seen.map((d) => d.data)).toStrictEqual([1]);
    expect(second.seen.map((d) => d.data)).toStrictEqual([1]);

    await subFirst.unsubscribe();
    expect(subFirst.state).toBe('unsubscribed');
    expect(subSecond.state).toBe('subscribed');
    expect(router.clients()[0]!.subscriptions).toStrictEqual(['dup.topic']);
    await client.publish('dup.topic', 2);
    await client.ping();
    expect(first.seen.map((d) => d.data)).toStrictEqual([1]);
    expect(second.seen.map((d) => d.data)).toStrictEqual([1, 2]);

    await subSecond.unsubscribe();
    expect(router.clients()[0]!.subscriptions).toStrictEqual([]);
  });

  it('overlapping patterns on one client (a.*, a.>) each get a message once, sent once on the wire', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const star = recorder<string>(Number.POSITIVE_INFINITY);
    const tail = recorder<string>(Number.POSITIVE_INFINITY);
    await client.subscribe('a.*', star.handler);
    await client.subscribe('a.>', tail.handler);
    const before = router.stats().deliveries;
    await client.publish('a.b', 'a.b');
    await client.publish('a.b.c', 'a.b.c');
    await client.ping();
    expect(star.seen.map((d) => d.data)).toStrictEqual(['a.b']);
    expect(tail.seen.map((d) => d.data)).toStrictEqual(['a.b', 'a.b.c']);
    expect(router.stats().deliveries - before).toBe(2);
  });
  it('one router message for a client with several patterns reaches only the matching subscriptions', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const patterns = ['>', 'sensors.>', 'sensors.*', '*.temp'] as const;
    const recorders = patterns.map(() => recorder<string>(Number.POSITIVE_INFINITY));
    for (const [i, pattern] of patterns.entries()) await client.subscribe(pattern, recorders[i]!.handler);
    for (const topic of ['sensors', 'sensors.temp', 'sensors.a.temp', 'kitchen.temp']) await client.publish(topic, topic);
    await client.ping();
    expect(recorders.map((r) => r.seen.map((d) => d.data))).toStrictEqual([
      ['sensors', 'sensors.temp', 'sensors.a.temp', 'kitchen.temp'],
      ['sensors.temp', 'sensors.a.temp'],
      ['sensors.temp'],
      ['sensors.temp', 'kitchen.temp'],
    ]);
  });
});

describe('async iteration', () => {
  it('for await yields messages in order; break unsubscribes and later messages are not received', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    await using witness = await connect(router.url);
    const handled = recorder<number>(Number.POSITIVE_INFINITY);
    const sub = await client.subscribe('iter.topic', handled.handler);
    const loop = (async () => {
      const seen: Array<[number, number]> = [];
      for await (const { data, meta } of sub) {
        seen.push([data as number, meta.offset]);
        if (seen.length === 5) break;
      }
      return seen;
    })();
    const released = nextEvent<[{ id: string }, string]>((listener) => router.on('unsubscribe', listener), (c) => c.id === client.id);
    await publishAll(client, 'iter.topic', [10, 11, 12, 13, 14]);
    expect(await loop).toStrictEqual([
      [10, 1],
      [11, 2],
      [12, 3],
      [13, 4],
      [14, 5],
    ]);
    expect(sub.state).toBe('unsubscribed');
    const [, pattern] = await released;
    expect(pattern).toBe('iter.topic');
    expect(router.clients().find((c) => c.id === client.id)!.subscriptions).toStrictEqual([]);

    const witnessed = recorder<number>(1);
    await witness.subscribe('iter.topic', witnessed.handler);
    await client.publish('iter.topic', 15);
    expect((await witnessed.done).map((d) => d.data)).toStrictEqual([15]);
    await client.ping();
    expect(handled.seen.map((d) => d.data)).toStrictEqual([10, 11, 12, 13, 14]);
  });

  it('breaking out of a loop and then closing the client reports no error', async () => {
    await using router = await startRouter();
    const client = await connect(router.url);
    const errors: HeraldError[] = [];
    client.on('error', (error) => errors.push(error));
    const sub = await client.subscribe('iter.close');
    const loop = (async () => {
      for await (const _ of sub) break;
    })();
    await client.publish('iter.close', 1);
    await loop;
    expect(sub.state).toBe('unsubscribed');
    await client.close();
    // The implicit unsubscribe of `break` is not a call the app made: closing must not turn it into an error.
    expect(errors.map((error) => error.code)).toStrictEqual([]);
  });

  it('an iterator that falls more than bufferSize behind throws SUBSCRIPTION_OVERFLOW after the buffered items', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const sub = await client.subscribe('over.topic', { bufferSize: 5 });
    const iterator = sub[Symbol.asyncIterator]();
    const delivered = recorder<number>(7);
    await client.subscribe('over.topic', delivered.handler);
    await publishAll(client, 'over.topic', range(1, 7));
    await delivered.done;
    expect((await read(iterator, 5)).map((d) => d.data)).toStrictEqual([1, 2, 3, 4, 5]);
    const error = await rejection(iterator.next());
    expect(error).toBeInstanceOf(SubscriptionError);
    expect((error as SubscriptionError).code).toBe(ErrorCode.SUBSCRIPTION_OVERFLOW);
    expect(await iterator.next()).toStrictEqual({ value: undefined, done: true });
  });

  it('an iterator within bufferSize loses nothing', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const sub = await client.subscribe('fits.topic', { bufferSize: 5 });
    const iterator = sub[Symbol.asyncIterator]();
    const delivered = recorder<number>(5);
    await client.subscribe('fits.topic', delivered.handler);
    await publishAll(client, 'fits.topic', range(1, 5));
    await delivered.done;
    expect((await read(iterator, 5)).map((d) => d.data)).toStrictEqual([1, 2, 3, 4, 5]);
    await client.publish('fits.topic', 6);
    expect((await read(iterator, 1)).map((d) => d.data)).toStrictEqual([6]);
  });
});

describe('handlers that throw', () => {
  it('emit the client error event with SUBSCRIBER_ERROR, and the next message is still delivered', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const errors: HeraldError[] = [];
    client.on('error', (error) => errors.push(error));
    const boom = new Error('handler failed');
    const seen: number[] = [];
    const two = deferred();
    await client.subscribe('throws.topic', (data) => {
      seen.push(data as number);
      if (seen.length === 2) two.resolve();
      if (data === 1) throw boom;
    });
    await client.publish('throws.topic', 1);
    await client.publish('throws.topic', 2);
    await two.promise;
    expect(seen).toStrictEqual([1, 2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SubscriptionError);
    expect(errors[0]!.code).toBe(ErrorCode.SUBSCRIBER_ERROR);
    expect(errors[0]!.cause).toBe(boom);
    expect(client.state).toBe('open');
  });
});
