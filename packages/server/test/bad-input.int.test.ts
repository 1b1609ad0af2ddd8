/**
 * Every bad input a client can send: each is answered with a coded error (or a close), the same
 * connection keeps working, other clients are undisturbed and nothing bad reaches a subscriber.
 */
import { type Client, connect } from '@herald/client';
import type { DefaultSchema, ServerMessage } from '@herald/protocol';
import { Log, nextEvent, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientInfo, DisconnectDetail, RouterOptions } from '../src/index.js';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

interface Rig extends AsyncDisposable {
  router: Router;
  /** A raw subscriber to everything. */
  watcher: RawClient;
  /** A well-behaved publisher. */
  good: RawClient;
  /** The client that sends the bad input. */
  bad: RawClient;
  /** An API client subscribed to everything, and what it got. */
  api: Client;
  apiInbox: Log<[string, unknown]>;
  apiErrors: string[];
  /** What the in-process subscriber got. */
  local: Array<[string, unknown]>;
  /** What every subscriber should have got so far. */
  expected: Array<[string, unknown]>;
  seq: number;
}

async function rig(options: RouterOptions = {}): Promise<Rig> {
  const router = await startRouter(options);
  const watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
  watcher.send({ type: 'subscribe', id: 1, pattern: '>' });
  expect(await watcher.next()).toEqual({ type: 'subscribed', id: 1, pattern: '>', at: expect.any(Number) });
  const local: Array<[string, unknown]> = [];
  await router.subscribe('>', (data, meta) => local.push([meta.topic, data]));
  const api = await connect(router.url, { name: 'api' });
  const apiInbox = new Log<[string, unknown]>();
  const apiErrors: string[] = [];
  api.on('error', (error) => apiErrors.push(error.code));
  await api.subscribe('>', (data, meta) => apiInbox.push([meta.topic, data]));
  const good = await RawClient.welcomed(router.url, { name: 'good' });
  const bad = await RawClient.welcomed(router.url, { name: 'bad' });
  return {
    router,
    watcher,
    good,
    bad,
    api,
    apiInbox,
    apiErrors,
    local,
    expected: [],
    seq: 0,
    async [Symbol.asyncDispose]() {
      await Promise.all([watcher, good, bad].map((raw) => raw[Symbol.asyncDispose]()));
      await api.close();
      await router.close();
    },
  };
}

function expectNotPolluted(): void {
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** The bad client still works, both clients still publish, and every subscriber got exactly what it should. */
async function expectHealthy(r: Rig): Promise<void> {
  expect(await r.bad.drain()).toEqual([]);
  const n = ++r.seq;
  const sent: Array<[string, string]> = [];
  for (const [client, topic] of [
    [r.bad, `ok.bad.${n}`],
    [r.good, `ok.good.${n}`],
  ] as const) {
    client.send({ type: 'publish', id: 10_000 + n, topic }, `{"json":${n}}`);
    expect(await client.next()).toMatchObject({ type: 'publish_ack', id: 10_000 + n, topic });
    sent.push([topic, `{"json":${n}}`]);
    r.expected.push([topic, n]);
  }
  // The watcher's next frames are exactly these: nothing from the bad input slipped in before them.
  const frames = [await r.watcher.next(), await r.watcher.next()];
  expect(frames.map((f) => (f.type === 'message' ? [f.topic, f.payload] : [f.type]))).toEqual(sent);
  expect(await r.watcher.drain()).toEqual([]);
  expect(r.local).toEqual(r.expected);
  await r.apiInbox.until(r.expected.length);
  expect(r.apiInbox.values).toEqual(r.expected);
  expect(r.apiErrors).toEqual([]);
  expectNotPolluted();
}

function errorOf(code: string, id?: number): ServerMessage {
  return id === undefined
    ? ({ type: 'error', code, message: expect.any(String) } as ServerMessage)
    : ({ type: 'error', id, code, message: expect.any(String) } as ServerMessage);
}

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const publish = (id: number, topic: string, payload: string) => (bad: RawClient) => bad.send({ type: 'publish', id, topic }, payload);

type Case = [name: string, act: (bad: RawClient) => void, code: string, id: number | undefined];

const frameCases: Case[] = [
  ['a header that is not JSON', (bad) => bad.sendRaw('{"type": "ping", id: 1'), 'PROTOCOL_INVALID_FRAME', undefined],
  ['a header that is a JSON array', (bad) => bad.sendRaw('[{"type":"ping","id":1}]'), 'PROTOCOL_INVALID_FRAME', undefined],
  ['a header without a type', (bad) => bad.send({ id: 4 }), 'PROTOCOL_INVALID_FRAME', undefined],
  ['a binary frame', (bad) => bad.sendRaw(Buffer.from('{"type":"ping","id":5}'), true), 'PROTOCOL_INVALID_FRAME', undefined],
  ['an unknown type', (bad) => bad.send({ type: 'frobnicate', id: 7 }), 'PROTOCOL_UNKNOWN_TYPE', 7],
  ['a server message type', (bad) => bad.send({ type: 'welcome', id: 8 }), 'PROTOCOL_UNKNOWN_TYPE', 8],
  ['subscribe with a numeric pattern', (bad) => bad.send({ type: 'subscribe', id: 9, pattern: 5 }), 'PROTOCOL_INVALID_MESSAGE', 9],
  ['subscribe without a pattern', (bad) => bad.send({ type: 'subscribe', id: 10 }), 'PROTOCOL_INVALID_MESSAGE', 10],
  ['publish with a string id', (bad) => bad.send({ type: 'publish', id: '11', topic: 'x' }, '{"json":1}'), 'PROTOCOL_INVALID_MESSAGE', undefined],
  ['publish with a negative id', (bad) => bad.send({ type: 'publish', id: -12, topic: 'x' }, '{"json":1}'), 'PROTOCOL_INVALID_MESSAGE', undefined],
  ['ping with a negative id', (bad) => bad.send({ type: 'ping', id: -1 }), 'PROTOCOL_INVALID_MESSAGE', undefined],
  ['ping with a fractional id', (bad) => bad.send({ type: 'ping', id: 1.5 }), 'PROTOCOL_INVALID_MESSAGE', undefined],
  ['publish without a payload', (bad) => bad.send({ type: 'publish', id: 13, topic: 'x' }), 'PROTOCOL_INVALID_MESSAGE', 13],
  ['ping with a payload', (bad) => bad.send({ type: 'ping', id: 14 }, '{"json":1}'), 'PROTOCOL_INVALID_MESSAGE', 14],
];

const topicCases: Case[] = [
  ['an empty topic', publish(20, '', '{"json":1}'), 'TOPIC_INVALID', 20],
  ['a 257-character topic', publish(21, 't'.repeat(257), '{"json":1}'), 'TOPIC_INVALID', 21],
  ['a topic with *', publish(22, 'a.*', '{"json":1}'), 'TOPIC_INVALID', 22],
  ['a topic with >', publish(23, 'a.>', '{"json":1}'), 'TOPIC_INVALID', 23],
  ['a topic with an empty segment', publish(24, 'a..b', '{"json":1}'), 'TOPIC_INVALID', 24],
  ['a topic with a space', publish(25, 'a b', '{"json":1}'), 'TOPIC_INVALID', 25],
  ['subscribe to a.>.b', (bad) => bad.send({ type: 'subscribe', id: 30, pattern: 'a.>.b' }), 'PATTERN_INVALID', 30],
  ['subscribe to a*', (bad) => bad.send({ type: 'subscribe', id: 31, pattern: 'a*' }), 'PATTERN_INVALID', 31],
  ['subscribe to an empty pattern', (bad) => bad.send({ type: 'subscribe', id: 32, pattern: '' }), 'PATTERN_INVALID', 32],
  ['subscribe to a..b', (bad) => bad.send({ type: 'subscribe', id: 33, pattern: 'a..b' }), 'PATTERN_INVALID', 33],
  ['presence_watch of a.>.b', (bad) => bad.send({ type: 'presence_watch', id: 34, topic: 'a.>.b' }), 'PATTERN_INVALID', 34],
];

const payloadCases: Case[] = [
  ['not JSON', publish(40, 'p', 'not json'), 'PAYLOAD_INVALID', 40],
  ['not a superjson envelope', publish(41, 'p', '{"nope":1}'), 'PAYLOAD_INVALID', 41],
  ['meta.values a string, which superjson cannot read', publish(42, 'p', '{"json":1,"meta":{"values":"Date"}}'), 'PAYLOAD_INVALID', 42],
  ['a __proto__ key', publish(43, 'p', '{"json":{"a":{"__proto__":{"polluted":true}}}}'), 'PAYLOAD_INVALID', 43],
  ['a constructor key', publish(44, 'p', '{"json":{"constructor":{"prototype":{"polluted":true}}}}'), 'PAYLOAD_INVALID', 44],
  ['nesting 65 levels deep', publish(45, 'p', `{"json":${nested(65)}}`), 'PAYLOAD_INVALID', 45],
  ['meta.values nested 10,000 levels', publish(46, 'p', `{"json":1,"meta":{"values":${nested(10_000)}}}`), 'PAYLOAD_INVALID', 46],
  ['an annotation that is not [type] or [type, children]', publish(47, 'p', '{"json":{"a":1},"meta":{"values":{"a":[]}}}'), 'PAYLOAD_INVALID', 47],
  ['an annotation path that names nothing', publish(48, 'p', '{"json":{"a":1},"meta":{"values":{"b":["Date"]}}}'), 'PAYLOAD_INVALID', 48],
  ['meta.values with a __proto__ key', publish(49, 'p', '{"json":{"a":"1"},"meta":{"values":{"__proto__":["bigint"]}}}'), 'PAYLOAD_INVALID', 49],
  [
    'a meta.values path through __proto__',
    publish(50, 'p', '{"json":{"a":"2020-01-01T00:00:00.000Z"},"meta":{"values":{"__proto__.polluted":["Date"]}}}'),
    'PAYLOAD_INVALID',
    50,
  ],
  [
    'a meta.values path through constructor.prototype',
    publish(51, 'p', '{"json":{"a":"1"},"meta":{"values":{"constructor.prototype.polluted":["bigint"]}}}'),
    'PAYLOAD_INVALID',
    51,
  ],
  [
    'a referentialEqualities path through __proto__',
    publish(52, 'p', '{"json":{"a":{"b":1}},"meta":{"referentialEqualities":{"a":["__proto__.polluted"]}}}'),
    'PAYLOAD_INVALID',
    52,
  ],
];

describe.each([
  ['malformed frames', frameCases],
  ['invalid topics and patterns', topicCases],
  ['invalid payloads', payloadCases],
])('%s', (_, cases) => {
  it.each(cases)('answers %s with its code, and everything keeps working', async (_name, act, code, id) => {
    await using r = await rig();
    await expectHealthy(r);
    act(r.bad);
    expect(await r.bad.next()).toStrictEqual(errorOf(code, id));
    await expectHealthy(r);
    expect(r.router.stats().publications).toBe(4);
  });
});

describe('envelopes superjson reads but never writes', () => {
  // superjson reads `json` and `meta` and ignores other keys; a meta that is not an object carries
  // no annotations. The router forwards such payloads unchanged, and every subscriber reads them
  // as superjson.parse does.
  it.each([
    ['an extra envelope key', '{"json":{"n":1},"extra":2}', { n: 1 }],
    ['meta null', '{"json":[1],"meta":null}', [1]],
    ['meta an array', '{"json":"x","meta":[1]}', 'x'],
    ['an extra meta key', '{"json":{"at":"2026-11-22T10:00:00.000Z"},"meta":{"values":{"at":["Date"]},"v":1,"x":1}}', { at: new Date('2026-11-22T10:00:00.000Z') }],
  ])('forwards a payload with %s, acknowledged, to every subscriber', async (_name, payload, value) => {
    await using r = await rig();
    r.good.send({ type: 'publish', id: 1, topic: 'odd' }, payload);
    expect(await r.good.next()).toMatchObject({ type: 'publish_ack', id: 1, topic: 'odd', offset: 1 });
    expect(await r.watcher.next()).toMatchObject({ type: 'message', topic: 'odd', payload });
    r.expected.push(['odd', value]);
    await expectHealthy(r);
  });
});

describe('payload limits', () => {
  it('routes a 256-character topic and a payload nested exactly 64 levels', async () => {
    await using r = await rig();
    const topic = 't'.repeat(256);
    r.good.send({ type: 'publish', id: 1, topic }, `{"json":${nested(64)}}`);
    expect(await r.good.next()).toMatchObject({ type: 'publish_ack', id: 1, topic, offset: 1 });
    expect(await r.watcher.next()).toMatchObject({ type: 'message', topic, payload: `{"json":${nested(64)}}` });
    r.expected.push([topic, JSON.parse(nested(64))]);
    await expectHealthy(r);
  });

  it('closes a connection sending a frame over maxPayload with 1009, after delivering what it acknowledged', async () => {
    await using r = await rig({ maxPayload: 4096 });
    const gone = nextEvent<[ClientInfo, DisconnectDetail]>((listener) => r.router.on('disconnect', listener));
    r.bad.send({ type: 'publish', id: 1, topic: 'before.big' }, '{"json":"accepted"}');
    expect(await r.bad.next()).toMatchObject({ type: 'publish_ack', id: 1, topic: 'before.big', offset: 1 });
    const big = `{"json":"${'x'.repeat(5000)}"}`;
    r.bad.send({ type: 'publish', id: 2, topic: 'big' }, big);
    const { frames, close } = await r.bad.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(1009);
    expect((await gone)[0].name).toBe('bad');
    expect(await r.watcher.next()).toMatchObject({ type: 'message', topic: 'before.big', offset: 1, payload: '{"json":"accepted"}' });
    expect(await r.watcher.drain()).toEqual([]);
    // The others are undisturbed.
    r.good.send({ type: 'publish', id: 2, topic: 'after.big' }, '{"json":"still here"}');
    expect(await r.good.next()).toMatchObject({ type: 'publish_ack', id: 2, topic: 'after.big' });
    expect(await r.watcher.next()).toMatchObject({ type: 'message', topic: 'after.big', payload: '{"json":"still here"}' });
    await r.apiInbox.until(2);
    expect(r.apiInbox.values).toEqual([
      ['before.big', 'accepted'],
      ['after.big', 'still here'],
    ]);
    expect(r.router.clients().map((c) => c.name)).toEqual(['watcher', 'api', 'good']);
  });

  it('accepts a frame of exactly maxPayload bytes', async () => {
    await using r = await rig({ maxPayload: 4096 });
    const header = JSON.stringify({ type: 'publish', id: 1, topic: 'edge' });
    const filler = 'x'.repeat(4096 - header.length - 1 - '{"json":""}'.length);
    const frame = `${header}\n{"json":"${filler}"}`;
    expect(Buffer.byteLength(frame)).toBe(4096);
    r.bad.sendRaw(frame);
    expect(await r.bad.next()).toMatchObject({ type: 'publish_ack', id: 1, topic: 'edge' });
    expect(await r.watcher.next()).toMatchObject({ type: 'message', topic: 'edge', payload: `{"json":"${filler}"}` });
    r.expected.push(['edge', filler]);
    await expectHealthy(r);
  });

  it('delivers a publish sent just before an oversized frame', async () => {
    await using r = await rig({ maxPayload: 4096 });
    r.bad.send({ type: 'publish', id: 1, topic: 'first' }, '{"json":1}');
    r.bad.send({ type: 'publish', id: 2, topic: 'big' }, `{"json":"${'x'.repeat(5000)}"}`);
    expect((await r.bad.untilClosed()).close.code).toBe(1009);
    expect(await r.watcher.next()).toMatchObject({ type: 'message', topic: 'first', offset: 1 });
    expect(await r.watcher.drain()).toEqual([]);
  });

  it('closes with 4000 PROTOCOL_TOO_MANY_ERRORS past maxProtocolErrors', async () => {
    await using r = await rig({ maxProtocolErrors: 5 });
    const bad = [
      () => r.bad.sendRaw('not json'),
      () => r.bad.send({ type: 'nope', id: 1 }),
      () => r.bad.send({ type: 'publish', id: 2, topic: 'a..b' }, '{"json":1}'),
      () => r.bad.send({ type: 'subscribe', id: 3, pattern: 'a*' }),
      () => r.bad.send({ type: 'publish', id: 4, topic: 'p' }, 'not json'),
    ];
    for (const [i, send] of bad.entries()) {
      send();
      r.bad.send({ type: 'ping', id: 100 + i });
    }
    const codes = ['PROTOCOL_INVALID_FRAME', 'PROTOCOL_UNKNOWN_TYPE', 'TOPIC_INVALID', 'PATTERN_INVALID', 'PAYLOAD_INVALID'];
    for (const [i, code] of codes.entries()) {
      expect(await r.bad.next()).toMatchObject({ type: 'error', code });
      expect(await r.bad.next()).toEqual({ type: 'pong', id: 100 + i });
    }
    r.bad.send({ type: 'ping', id: -1 });
    const { frames, close } = await r.bad.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4000);
    expect(close.reason.startsWith('PROTOCOL_TOO_MANY_ERRORS')).toBe(true);
    expect(await r.watcher.drain()).toEqual([]);
    r.good.send({ type: 'publish', id: 1, topic: 'fine' }, '{"json":1}');
    expect(await r.watcher.next()).toMatchObject({ type: 'message', topic: 'fine' });
  });
});

describe('load', () => {
  it('acknowledges a flood of 2,000 publishes in order and delivers all of them in order', async () => {
    await using r = await rig();
    const count = 2000;
    for (let i = 1; i <= count; i++) r.bad.send({ type: 'publish', id: i, topic: 'flood' }, `{"json":${i}}`);
    const acks: Array<[number, number]> = [];
    for (let i = 1; i <= count; i++) {
      const ack = await r.bad.next();
      acks.push(ack.type === 'publish_ack' ? [ack.id, ack.offset] : [-1, -1]);
    }
    expect(acks).toEqual(Array.from({ length: count }, (_, i) => [i + 1, i + 1]));
    const delivered: Array<[number, unknown]> = [];
    for (let i = 1; i <= count; i++) {
      const message = await r.watcher.next();
      delivered.push(message.type === 'message' ? [message.offset, message.payload] : [-1, message.type]);
    }
    expect(delivered).toEqual(Array.from({ length: count }, (_, i) => [i + 1, `{"json":${i + 1}}`]));
    expect(await r.watcher.drain()).toEqual([]);
    await r.apiInbox.until(count);
    expect(r.apiInbox.values.map(([, data]) => data)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });

  it('is not disturbed by a subscriber, or a publisher, whose socket is destroyed mid-stream', async () => {
    await using r = await rig();
    const victim = await RawClient.welcomed(r.router.url, { name: 'victim' });
    victim.send({ type: 'subscribe', id: 1, pattern: 'stream' });
    await victim.nextOf('subscribed');
    const disconnects: Array<[string, number]> = [];
    r.router.on('disconnect', (client, detail) => disconnects.push([client.name, detail.code]));
    const victimGone = nextEvent<[ClientInfo, DisconnectDetail]>((listener) => r.router.on('disconnect', listener));

    const count = 1000;
    for (let i = 1; i <= count; i++) r.good.send({ type: 'publish', id: i, topic: 'stream' }, `{"json":${i}}`);
    for (let i = 0; i < 10; i++) await victim.next();
    expect((await victim.destroy()).code).toBe(1006);
    expect((await victimGone)[1].code).toBe(1006);
    for (let i = 1; i <= count; i++) expect(await r.good.next()).toMatchObject({ type: 'publish_ack', id: i, offset: i });
    for (let i = 1; i <= count; i++) expect(await r.watcher.next()).toMatchObject({ type: 'message', offset: i, payload: `{"json":${i}}` });
    expect(await r.watcher.drain()).toEqual([]);

    // A publisher destroyed mid-stream: what it got through arrives whole and in order.
    const sender = await RawClient.welcomed(r.router.url, { name: 'sender' });
    const senderGone = nextEvent<[ClientInfo, DisconnectDetail]>((listener) => r.router.on('disconnect', listener));
    for (let i = 1; i <= 500; i++) sender.send({ type: 'publish', topic: 'burst' }, `{"json":${i}}`);
    await sender.destroy();
    await senderGone;
    const burst = (await r.watcher.drain()).map((m) => (m.type === 'message' && m.topic === 'burst' ? m.payload : m.type));
    expect(burst).toEqual(Array.from({ length: burst.length }, (_, i) => `{"json":${i + 1}}`));
    expect(disconnects).toEqual([
      ['victim', 1006],
      ['sender', 1006],
    ]);
    r.expected.push(
      ...Array.from({ length: count }, (_, i): [string, unknown] => ['stream', i + 1]),
      ...burst.map((_, i): [string, unknown] => ['burst', i + 1]),
    );
    await expectHealthy(r);
  });
});

describe('validatePayloads: false', () => {
  it('forwards an invalid payload untouched; an API subscriber reports PAYLOAD_INVALID instead of delivering it', async () => {
    await using r = await rig({ validatePayloads: false });
    const invalid = ['not json', '{"json":{"a":{"__proto__":{"polluted":true}}}}'];
    for (const [i, payload] of invalid.entries()) {
      r.bad.send({ type: 'publish', id: i + 1, topic: 'raw' }, payload);
      expect(await r.bad.next()).toMatchObject({ type: 'publish_ack', id: i + 1, topic: 'raw', offset: i + 1 });
      expect(await r.watcher.next()).toMatchObject({ type: 'message', topic: 'raw', offset: i + 1, payload });
    }
    r.good.send({ type: 'publish', id: 1, topic: 'raw' }, '{"json":"valid"}');
    expect(await r.good.next()).toMatchObject({ type: 'publish_ack', offset: 3 });
    await r.apiInbox.until(1);
    expect(r.apiInbox.values).toEqual([['raw', 'valid']]);
    expect(r.apiErrors).toEqual(['PAYLOAD_INVALID', 'PAYLOAD_INVALID']);
    expect(r.local).toEqual([['raw', 'valid']]);
    expectNotPolluted();
  });
});
