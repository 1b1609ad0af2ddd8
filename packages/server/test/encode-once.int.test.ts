/**
 * Encode once: a publication is encoded (or transcoded) once per receiving codec, however many
 * subscribers; a client's payload is forwarded without decoding it.
 */
import { connect } from '@herald/client';
import { type Codec, type DefaultSchema, type ProtocolError, type Result, jsonCodec, superjsonCodec } from '@herald/protocol';
import { RawClient, deferred, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

type Counts = { encode: number; decode: number; check: number; toPlainJson: number; fromPlainJson: number };

/** The superjson codec, counting its calls. */
class SpyCodec implements Codec {
  readonly name = superjsonCodec.name;
  calls: Counts = SpyCodec.zero();

  static zero(): Counts {
    return { encode: 0, decode: 0, check: 0, toPlainJson: 0, fromPlainJson: 0 };
  }

  reset(): void {
    this.calls = SpyCodec.zero();
  }

  encode(value: unknown): string {
    this.calls.encode++;
    return superjsonCodec.encode(value);
  }

  decode(text: string): Result<unknown, ProtocolError> {
    this.calls.decode++;
    return superjsonCodec.decode(text);
  }

  check(text: string): ProtocolError | undefined {
    this.calls.check++;
    return superjsonCodec.check(text);
  }

  toPlainJson(text: string): string {
    this.calls.toPlainJson++;
    return superjsonCodec.toPlainJson(text);
  }

  fromPlainJson(text: string): string {
    this.calls.fromPlainJson++;
    return superjsonCodec.fromPlainJson(text);
  }
}

const SUPERJSON = 'herald.v1.superjson';
const JSON_PROTOCOL = 'herald.v1.json';

/** `count` raw clients offering `protocol`, each subscribed to `pattern`; disposable as a group. */
async function subscribers(router: Router, count: number, protocol: string, pattern: string) {
  const clients = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      return RawClient.subscribed(router.url, pattern, { name: `${protocol}-${i}` }, { protocols: [protocol] });
    }),
  );
  return {
    clients,
    /** The payload of each client's next frame, which must be a message on `topic`. */
    async payloads(topic: string): Promise<string[]> {
      return Promise.all(
        clients.map(async (raw) => {
          const message = await raw.next();
          if (message.type !== 'message' || message.topic !== topic) throw new Error(`expected a message on ${topic}, got ${JSON.stringify(message)}`);
          return message.payload as string;
        }),
      );
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all(clients.map((raw) => raw[Symbol.asyncDispose]()));
    },
  };
}

async function spyRouter(spy: SpyCodec): Promise<Router> {
  return startRouter({ codecs: [spy, jsonCodec] });
}

describe('encode once', () => {
  it('router.publish to 100 subscribers encodes once and builds one frame', async () => {
    const spy = new SpyCodec();
    await using router = await spyRouter(spy);
    await using group = await subscribers(router, 100, SUPERJSON, 'news.>');
    const before = router.stats();
    spy.reset();
    const value = { at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), tags: new Set(['a', 'b']), n: 1 };
    const ack = await router.publish('news.today', value);
    expect(spy.calls).toEqual({ ...SpyCodec.zero(), encode: 1 });
    const after = router.stats();
    expect(after.framesEncoded - before.framesEncoded).toBe(1);
    expect(after.deliveries - before.deliveries).toBe(100);
    expect(after.publications - before.publications).toBe(1);
    const payloads = await group.payloads('news.today');
    expect(payloads).toHaveLength(100);
    expect(new Set(payloads)).toEqual(new Set([superjsonCodec.encode(value)]));
    const decoded = superjsonCodec.decode(payloads[0]!);
    expect(decoded).toEqual({ ok: true, value });
    expect(ack.offset).toBe(1);
    for (const raw of group.clients) expect(await raw.drain()).toEqual([]);
  });

  it('a client publish forwarded to 100 subscribers is checked once, never decoded or encoded', async () => {
    const spy = new SpyCodec();
    await using router = await spyRouter(spy);
    await using group = await subscribers(router, 100, SUPERJSON, 'news.*');
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    const before = router.stats();
    spy.reset();
    const payload = superjsonCodec.encode({ at: new Date(0), n: 2 });
    publisher.send({ type: 'publish', id: 1, topic: 'news.now' }, payload);
    expect(await publisher.next()).toMatchObject({ type: 'publish_ack', id: 1, offset: 1 });
    const payloads = await group.payloads('news.now');
    expect(payloads).toEqual(Array.from({ length: 100 }, () => payload));
    expect(spy.calls).toEqual({ ...SpyCodec.zero(), check: 1 });
    expect(router.stats().framesEncoded - before.framesEncoded).toBe(1);
    expect(router.stats().deliveries - before.deliveries).toBe(100);
  });

  it('decodes a client publish once for all in-process subscribers', async () => {
    const spy = new SpyCodec();
    await using router = await spyRouter(spy);
    const got: unknown[] = [];
    await router.subscribe('news.>', (data) => got.push(data));
    await router.subscribe('news.*', (data) => got.push(data));
    await using group = await subscribers(router, 10, SUPERJSON, 'news.>');
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    spy.reset();
    publisher.send({ type: 'publish', id: 1, topic: 'news.now' }, superjsonCodec.encode({ at: new Date(0) }));
    await publisher.nextOf('publish_ack');
    expect(got).toEqual([{ at: new Date(0) }, { at: new Date(0) }]);
    expect(spy.calls).toEqual({ ...SpyCodec.zero(), check: 1, decode: 1 });
    expect(await group.payloads('news.now')).toHaveLength(10);
  });

  it('builds one frame per receiving codec: superjson subscribers get superjson, json ones the plain projection', async () => {
    const spy = new SpyCodec();
    await using router = await spyRouter(spy);
    await using rich = await subscribers(router, 50, SUPERJSON, 'mixed');
    await using plain = await subscribers(router, 50, JSON_PROTOCOL, 'mixed');
    const value = { at: new Date(Date.UTC(2024, 5, 6, 7, 8, 9, 10)), n: 3 };

    let before = router.stats();
    spy.reset();
    await router.publish('mixed', value);
    expect(router.stats().framesEncoded - before.framesEncoded).toBe(2);
    expect(router.stats().deliveries - before.deliveries).toBe(100);
    expect(spy.calls).toEqual({ ...SpyCodec.zero(), encode: 1, toPlainJson: 1 });
    expect(await rich.payloads('mixed')).toEqual(Array.from({ length: 50 }, () => superjsonCodec.encode(value)));
    const projected = await plain.payloads('mixed');
    expect(new Set(projected).size).toBe(1);
    expect(JSON.parse(projected[0]!)).toEqual({ at: value.at.toISOString(), n: 3 });

    // The same from a client publish: forwarded as is to superjson, transcoded once for json.
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    before = router.stats();
    spy.reset();
    publisher.send({ type: 'publish', id: 1, topic: 'mixed' }, superjsonCodec.encode(value));
    await publisher.nextOf('publish_ack');
    expect(router.stats().framesEncoded - before.framesEncoded).toBe(2);
    expect(spy.calls).toEqual({ ...SpyCodec.zero(), check: 1, toPlainJson: 1 });
    expect(await rich.payloads('mixed')).toEqual(Array.from({ length: 50 }, () => superjsonCodec.encode(value)));
    expect((await plain.payloads('mixed')).map((p) => JSON.parse(p) as unknown)).toEqual(
      Array.from({ length: 50 }, () => ({ at: value.at.toISOString(), n: 3 })),
    );
  });

  it('delivers a json publisher message to superjson subscribers, decodable', async () => {
    const spy = new SpyCodec();
    await using router = await spyRouter(spy);
    await using rich = await subscribers(router, 5, SUPERJSON, 'from.json');
    await using plain = await subscribers(router, 5, JSON_PROTOCOL, 'from.json');
    await using api = await connect(router.url, { name: 'api' });
    const received = deferred<unknown>();
    await api.subscribe('from.json', (data) => received.resolve(data));
    await using publisher = await RawClient.welcomed(router.url, { name: 'json-pub' }, { protocols: [JSON_PROTOCOL] });
    const before = router.stats();
    spy.reset();
    const text = '{"at":"2024-01-01T00:00:00.000Z","tags":["a","b"],"n":1.5,"nested":{"ok":true,"none":null}}';
    publisher.send({ type: 'publish', id: 1, topic: 'from.json' }, text);
    expect(await publisher.next()).toMatchObject({ type: 'publish_ack', id: 1, offset: 1 });
    const expected = JSON.parse(text) as unknown;
    for (const payload of await rich.payloads('from.json')) {
      expect(superjsonCodec.decode(payload)).toEqual({ ok: true, value: expected });
    }
    expect(await plain.payloads('from.json')).toEqual(Array.from({ length: 5 }, () => text));
    expect(await received.promise).toEqual(expected);
    expect(spy.calls).toEqual({ ...SpyCodec.zero(), fromPlainJson: 1 });
    expect(router.stats().framesEncoded - before.framesEncoded).toBe(2);
  });
});
