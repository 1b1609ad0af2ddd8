/**
 * Payload types survive a real router: publisher connect() → router → subscriber connect(), with
 * superjson on both ends, from router.publish, in presence info, and across the json codec.
 */
import { deferred, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { type ConnectOptions, type MessageMeta, connect, jsonCodec } from '../src/index.js';

const TOPIC = 'types.value';

/** Publishes `value` from one client and resolves with what another client's subscription received. */
async function carried(value: unknown, options: { publisher?: ConnectOptions; subscriber?: ConnectOptions } = {}): Promise<unknown> {
  await using router = await startRouter();
  await using publisher = await connect(router.url, options.publisher);
  await using subscriber = await connect(router.url, options.subscriber);
  const received = deferred<unknown>();
  await subscriber.subscribe(TOPIC, (data) => received.resolve(data));
  await publisher.publish(TOPIC, value);
  return await received.promise;
}

function protoOf(value: unknown): unknown {
  return Object.getPrototypeOf(value);
}

describe('client to client, superjson', () => {
  it('Date', async () => {
    const sent = new Date('2024-02-29T23:59:58.123Z');
    const got = await carried(sent);
    expect(got).toStrictEqual(sent);
    expect(protoOf(got)).toBe(Date.prototype);
    expect((got as Date).getTime()).toBe(sent.getTime());
  });

  it('Map with non-string keys', async () => {
    const objectKey = { k: 1 };
    const sent = new Map<unknown, unknown>([
      [1, 'number'],
      ['1', 'string'],
      [true, 'boolean'],
      [null, 'null'],
      [2n, 'bigint'],
      [objectKey, 'object'],
      [new Date(5), 'date'],
    ]);
    const got = await carried(sent);
    expect(got).toStrictEqual(sent);
    expect(protoOf(got)).toBe(Map.prototype);
    const keys = [...(got as Map<unknown, unknown>).keys()];
    expect(keys.map((key) => typeof key)).toStrictEqual(['number', 'string', 'boolean', 'object', 'bigint', 'object', 'object']);
    expect(keys[5]).toStrictEqual(objectKey);
    expect(keys[6]).toBeInstanceOf(Date);
    expect([...(got as Map<unknown, unknown>).values()]).toStrictEqual(['number', 'string', 'boolean', 'null', 'bigint', 'object', 'date']);
  });

  it('Set', async () => {
    const sent = new Set<unknown>([1, '1', null, { a: [1, 2] }, 3n]);
    const got = await carried(sent);
    expect(got).toStrictEqual(sent);
    expect(protoOf(got)).toBe(Set.prototype);
    expect([...(got as Set<unknown>)]).toStrictEqual([1, '1', null, { a: [1, 2] }, 3n]);
  });

  it('BigInt: huge and negative', async () => {
    const sent = { huge: 2n ** 200n + 7n, negative: -(10n ** 40n) - 1n, zero: 0n, list: [-1n, 9007199254740993n] };
    const got = await carried(sent);
    expect(got).toStrictEqual(sent);
    const typed = got as typeof sent;
    expect(typeof typed.huge).toBe('bigint');
    expect(typed.huge).toBe(2n ** 200n + 7n);
    expect(typed.negative).toBe(-(10n ** 40n) - 1n);
    expect(typed.list[1]).toBe(9007199254740993n);
  });

  it('undefined at top level', async () => {
    const got = await carried(undefined);
    expect(got).toBeUndefined();
  });

  it('undefined as an object value and as an array item', async () => {
    const sent = { a: undefined, b: 1, list: [1, undefined, 3] };
    const got = await carried(sent);
    expect(got).toStrictEqual(sent);
    const typed = got as typeof sent;
    expect(Object.keys(typed)).toStrictEqual(['a', 'b', 'list']);
    expect(typed.list).toHaveLength(3);
    expect(1 in typed.list).toBe(true); // a real undefined, not a hole
  });

  it('RegExp with flags', async () => {
    const sent = /^h(?<vowel>e|a)llo\s+\d{2,}$/dgimsy;
    const got = await carried(sent);
    expect(got).toBeInstanceOf(RegExp);
    expect(protoOf(got)).toBe(RegExp.prototype);
    expect((got as RegExp).source).toBe(sent.source);
    expect((got as RegExp).flags).toBe('dgimsy');
    expect(got).toStrictEqual(sent);
  });

  it('Error: message, name, instanceof Error', async () => {
    const sent = new Error('the sensor broke');
    sent.name = 'SensorError';
    const got = await carried({ error: sent });
    const error = (got as { error: unknown }).error;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('the sensor broke');
    expect((error as Error).name).toBe('SensorError');
  });

  it('NaN, Infinity, -Infinity and -0', async () => {
    const sent = { nan: NaN, inf: Infinity, ninf: -Infinity, negZero: -0, zero: 0, list: [NaN, -0, Infinity] };
    const got = (await carried(sent)) as typeof sent;
    expect(got).toStrictEqual(sent);
    expect(Number.isNaN(got.nan)).toBe(true);
    expect(got.inf).toBe(Number.POSITIVE_INFINITY);
    expect(got.ninf).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(got.negZero, -0)).toBe(true);
    expect(Object.is(got.zero, 0)).toBe(true);
    expect(Object.is(got.list[1], -0)).toBe(true);
  });

  it('-0 and NaN at top level', async () => {
    expect(Object.is(await carried(-0), -0)).toBe(true);
    expect(Number.isNaN(await carried(NaN))).toBe(true);
  });

  it('URL', async () => {
    const sent = new URL('https://user@example.com:8443/a/b%20c?q=1&r=%C3%A9#frag');
    const got = await carried(sent);
    expect(got).toBeInstanceOf(URL);
    expect(protoOf(got)).toBe(URL.prototype);
    expect((got as URL).href).toBe(sent.href);
    expect((got as URL).searchParams.get('r')).toBe('é');
  });

  it('Uint8Array: same bytes, arrives as a Uint8Array', async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) % 256);
    const sent = { small: new Uint8Array([0, 1, 127, 128, 255]), big: bytes, empty: new Uint8Array(0), view: bytes.subarray(10, 13) };
    const got = (await carried(sent)) as typeof sent;
    for (const key of ['small', 'big', 'empty', 'view'] as const) {
      expect(protoOf(got[key]), key).toBe(Uint8Array.prototype);
      expect([...got[key]], key).toStrictEqual([...sent[key]]);
    }
    expect(got.view).toHaveLength(3);
    expect(got).toStrictEqual(sent);
  });

  it('ArrayBuffer: same bytes, arrives as an ArrayBuffer', async () => {
    const sent = Uint8Array.from({ length: 300 }, (_, i) => 255 - (i % 256)).buffer;
    const got = await carried({ buffer: sent, tiny: new Uint8Array([9]).buffer });
    const { buffer, tiny } = got as { buffer: unknown; tiny: unknown };
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(protoOf(buffer)).toBe(ArrayBuffer.prototype);
    expect((buffer as ArrayBuffer).byteLength).toBe(300);
    expect([...new Uint8Array(buffer as ArrayBuffer)]).toStrictEqual([...new Uint8Array(sent)]);
    expect((tiny as ArrayBuffer).byteLength).toBe(1);
    expect([...new Uint8Array(tiny as ArrayBuffer)]).toStrictEqual([9]);
  });

  it('everything nested: Map of Sets of Dates in arrays in objects, with the other types', async () => {
    const sent = {
      rooms: [
        {
          name: 'lobby',
          schedule: new Map<number, Set<Date>>([
            [1, new Set([new Date(1_000), new Date(2_000)])],
            [2, new Set()],
          ]),
          quota: -123456789012345678901234567890n,
        },
      ],
      index: new Map<unknown, unknown>([[new Date(7), [new Set([NaN, 'x', undefined]), /x/g]]]),
      link: new URL('https://example.com/x'),
      bytes: new Uint8Array([1, 2, 3]),
      missing: undefined,
      limits: [Infinity, -Infinity, -0],
      nested: { deeper: { list: [new Map([['k', new Set([1n])]])] } },
    };
    const got = (await carried(sent)) as typeof sent;
    expect(got).toStrictEqual(sent);
    const schedule = got.rooms[0]!.schedule;
    expect(schedule).toBeInstanceOf(Map);
    const first = schedule.get(1)!;
    expect(first).toBeInstanceOf(Set);
    expect([...first].map((d) => [protoOf(d) === Date.prototype, d.getTime()])).toStrictEqual([
      [true, 1_000],
      [true, 2_000],
    ]);
    expect(typeof got.rooms[0]!.quota).toBe('bigint');
    const [[key, [set, regexp]]] = [...got.index] as [[Date, [Set<unknown>, RegExp]]];
    expect(key).toBeInstanceOf(Date);
    expect([...set]).toStrictEqual([NaN, 'x', undefined]);
    expect(Object.is(got.limits[2], -0)).toBe(true);
    expect(regexp.flags).toBe('g');
    expect(got.link).toBeInstanceOf(URL);
    expect(protoOf(got.bytes)).toBe(Uint8Array.prototype);
    expect('missing' in got).toBe(true);
  });
});

describe('router.publish to a client', () => {
  it('values published by the router arrive typed, from the router', async () => {
    await using router = await startRouter({ name: 'central' });
    await using subscriber = await connect(router.url);
    const received = deferred<[unknown, MessageMeta]>();
    await subscriber.subscribe('types.router', (data, meta) => received.resolve([data, meta]));
    const sent = { at: new Date(42), tags: new Set(['a', 'b']), counts: new Map([[1n, -0]]), nothing: undefined, bytes: new Uint8Array([7, 8]) };
    const ack = await router.publish('types.router', sent);
    const [data, meta] = await received.promise;
    expect(data).toStrictEqual(sent);
    expect(protoOf((data as typeof sent).at)).toBe(Date.prototype);
    expect(protoOf((data as typeof sent).bytes)).toBe(Uint8Array.prototype);
    expect(meta.publisher).toStrictEqual({ id: router.id, name: 'central' });
    expect(meta.publisher).toStrictEqual(subscriber.router);
    expect(meta.offset).toBe(ack.offset);
    expect(meta.epoch).toBe(ack.epoch);
  });
});

describe('presence info', () => {
  it('info passed to connect() arrives typed in another client’s presence members', async () => {
    await using router = await startRouter();
    const info = { since: new Date('2020-01-01T00:00:00Z'), roles: new Set(['admin', 'ops']), quota: 2n ** 70n, limits: new Map([[1, Infinity]]), note: undefined };
    await using member = await connect(router.url, { name: 'Uhura', info });
    await member.subscribe('types.room');
    await using watcher = await connect(router.url);
    await using view = await watcher.presence('types.room');
    const members = view.members();
    expect(members).toHaveLength(1);
    expect(members[0]!.id).toBe(member.id);
    expect(members[0]!.name).toBe('Uhura');
    expect(members[0]!.info).toStrictEqual(info);
    const got = members[0]!.info as typeof info;
    expect(protoOf(got.since)).toBe(Date.prototype);
    expect(protoOf(got.roles)).toBe(Set.prototype);
    expect(typeof got.quota).toBe('bigint');
    // The router decodes it the same way.
    const [fromRouter] = await router.presence('types.room');
    expect(fromRouter!.info).toStrictEqual(info);
  });
});

describe('json codec next to superjson', () => {
  it('a json client receives the plain JSON projection of rich values', async () => {
    const got = await carried(
      { at: new Date('2024-05-06T07:08:09.010Z'), map: new Map<unknown, unknown>([[1, 'a'], ['b', 2]]), big: 12345678901234567890n, set: new Set([1, 2]), n: 1.5 },
      { subscriber: { codec: jsonCodec } },
    );
    expect(got).toStrictEqual({
      at: '2024-05-06T07:08:09.010Z',
      map: [
        [1, 'a'],
        ['b', 2],
      ],
      big: '12345678901234567890',
      set: [1, 2],
      n: 1.5,
    });
  });

  it('plain values published by a json client reach a superjson subscriber equal', async () => {
    const sent = { n: -1.25, s: 'héllo\n"quoted"', flags: [true, false, null], nested: { list: [], empty: {} }, big: 9007199254740991 };
    expect(await carried(sent, { publisher: { codec: jsonCodec } })).toStrictEqual(sent);
    expect(await carried('just a string', { publisher: { codec: jsonCodec } })).toBe('just a string');
    expect(await carried(null, { publisher: { codec: jsonCodec } })).toBeNull();
  });

  it('a json publisher’s and a superjson publisher’s messages reach a json subscriber in order', async () => {
    await using router = await startRouter();
    await using plain = await connect(router.url, { codec: jsonCodec });
    await using rich = await connect(router.url);
    const received: unknown[] = [];
    const two = deferred();
    await plain.subscribe(TOPIC, (data) => {
      received.push(data);
      if (received.length === 2) two.resolve();
    });
    await plain.publish(TOPIC, { from: 'json' });
    await rich.publish(TOPIC, { from: 'superjson', at: new Date(0) });
    await two.promise;
    expect(received).toStrictEqual([{ from: 'json' }, { from: 'superjson', at: '1970-01-01T00:00:00.000Z' }]);
  });
});
