/**
 * Bad request traffic on the wire: stray, duplicate and unasked replies are dropped with a log line;
 * bad requests get a coded error with their id; limits hold. Nothing crashes, the misbehaving
 * connection stays usable and every other request completes. See PROTOCOL.md, "Requests".
 */
import { ErrorCode, HeraldError, ProtocolError, RemoteError, connect } from '@herald/client';
import type { DefaultSchema, ServerMessage } from '@herald/protocol';
import { expectError, RawClient, rejection, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogLevel, Logger, RouterOptions } from '../src/index.js';

type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;
type IncomingRequest = Extract<ServerMessage, { type: 'request' }>;

afterEach(() => {
  vi.useRealTimers();
});

interface LogLine {
  level: LogLevel;
  message: string;
  context: Readonly<Record<string, unknown>> | undefined;
}

interface Rig extends AsyncDisposable {
  router: Router;
  lines: LogLine[];
  /** A raw caller. */
  caller: RawClient;
  /** A raw provider of `calc.double`. */
  provider: RawClient;
  /** A raw client that was not asked anything. */
  intruder: RawClient;
  /** Log lines about a dropped reply from `raw` for the router's request `key`. */
  dropsFor(raw: RawClient, key: number): LogLine[];
}

async function rig(options: RouterOptions = {}): Promise<Rig> {
  const lines: LogLine[] = [];
  const logger: Logger = { log: (level, message, context) => lines.push({ level, message, context }) };
  const router = await startRouter({ logger, ...options });
  const provider = await RawClient.welcomed(router.url, { name: 'provider' });
  provider.send({ type: 'handle', id: 1, method: 'calc.double' });
  expect(await provider.next()).toStrictEqual({ type: 'handled', id: 1, method: 'calc.double' });
  const caller = await RawClient.welcomed(router.url, { name: 'caller' });
  const intruder = await RawClient.welcomed(router.url, { name: 'intruder' });
  return {
    router,
    lines,
    caller,
    provider,
    intruder,
    dropsFor: (raw, key) =>
      lines.filter((line) => line.context?.id === raw.welcome!.id && line.context?.request === key && /drop/i.test(line.message)),
    async [Symbol.asyncDispose]() {
      await Promise.all([caller, provider, intruder].map((raw) => raw[Symbol.asyncDispose]()));
      await router.close();
    },
  };
}

/** The caller sends request `id`; resolves with the request as the provider sees it. */
async function ask(rig: Rig, id: number, n: number): Promise<IncomingRequest> {
  rig.caller.send({ type: 'request', id, method: 'calc.double' }, JSON.stringify({ json: n }));
  return rig.provider.nextOf('request');
}

function answer(raw: RawClient, request: IncomingRequest, value: unknown): void {
  raw.send({ type: 'response', id: request.id }, JSON.stringify({ json: value }));
}

/** A full, well-behaved round trip: proves the router and the connections still work. */
async function roundTrip(rig: Rig, id: number): Promise<void> {
  const request = await ask(rig, id, 21);
  answer(rig.provider, request, 42);
  expect(await rig.caller.next()).toStrictEqual({ type: 'response', id, payload: '{"json":42}' });
}

describe('replies for no request in flight are dropped with a log line', () => {
  it('a response to an id the router never issued', async () => {
    await using r = await rig();
    r.provider.send({ type: 'response', id: 987_654 }, '{"json":"stray"}');
    r.provider.send({ type: 'response_error', id: 987_655, code: 'STRAY', message: 'stray' });
    expect(await r.provider.drain()).toStrictEqual([]);
    expect(r.dropsFor(r.provider, 987_654)).toHaveLength(1);
    expect(r.dropsFor(r.provider, 987_655)).toHaveLength(1);
    expect(await r.caller.drain()).toStrictEqual([]);
    await roundTrip(r, 1);
  });

  it('a second response to the same id: the caller gets exactly one result, the first', async () => {
    await using r = await rig();
    const request = await ask(r, 5, 1);
    answer(r.provider, request, 'first');
    answer(r.provider, request, 'second');
    r.provider.send({ type: 'response_error', id: request.id, code: 'THIRD', message: 'third' });
    expect(await r.provider.drain()).toStrictEqual([]);
    expect(await r.caller.next()).toStrictEqual({ type: 'response', id: 5, payload: '{"json":"first"}' });
    expect(await r.caller.drain()).toStrictEqual([]);
    expect(r.dropsFor(r.provider, request.id)).toHaveLength(2);
    await roundTrip(r, 6);
  });

  it('a response from a connection that was not asked: dropped; the real provider’s reply goes through', async () => {
    await using r = await rig();
    const request = await ask(r, 9, 4);
    r.intruder.send({ type: 'response', id: request.id }, '{"json":"forged"}');
    r.intruder.send({ type: 'response_error', id: request.id, code: 'FORGED', message: 'forged' });
    // The intruder's frames are handled before its pong: they reached the router before the real reply.
    expect(await r.intruder.drain()).toStrictEqual([]);
    expect(r.dropsFor(r.intruder, request.id)).toHaveLength(2);
    answer(r.provider, request, 8);
    expect(await r.caller.next()).toStrictEqual({ type: 'response', id: 9, payload: '{"json":8}' });
    expect(await r.caller.drain()).toStrictEqual([]);
    expect(await r.provider.drain()).toStrictEqual([]);
    // the intruder stays usable: it can call too
    r.intruder.send({ type: 'request', id: 1, method: 'calc.double' }, '{"json":3}');
    answer(r.provider, await r.provider.nextOf('request'), 6);
    expect(await r.intruder.next()).toStrictEqual({ type: 'response', id: 1, payload: '{"json":6}' });
    expect(r.router.clients()).toHaveLength(3);
  });

  it('a cancel for an id not in flight is ignored', async () => {
    await using r = await rig();
    r.caller.send({ type: 'cancel', id: 424_242 });
    expect(await r.caller.drain()).toStrictEqual([]);
    expect(await r.provider.drain()).toStrictEqual([]);
    await roundTrip(r, 1);
  });
});

describe('bad requests get a coded error with their id', () => {
  it.each(['a..b', 'a.*', '', 'a.>', 'x y'])('request and handle for the invalid method %j → METHOD_INVALID', async (method) => {
    await using r = await rig();
    r.caller.send({ type: 'request', id: 11, method }, '{"json":1}');
    expect(await r.caller.next()).toMatchObject({ type: 'error', id: 11, code: ErrorCode.METHOD_INVALID });
    r.caller.send({ type: 'handle', id: 12, method });
    expect(await r.caller.next()).toMatchObject({ type: 'error', id: 12, code: ErrorCode.METHOD_INVALID });
    expect(r.router.methods()).toStrictEqual([{ method: 'calc.double', providers: [{ id: r.provider.welcome!.id, name: 'provider' }] }]);
    expect(await r.provider.drain()).toStrictEqual([]);
    await roundTrip(r, 13);
  });

  it.each([
    ['not JSON', '{nope'],
    ['not an envelope', '[1,2,3]'],
    ['meta.values a string, which superjson cannot read', '{"json":1,"meta":{"values":"Date"}}'],
    ['a forbidden key', '{"json":{"__proto__":{"polluted":true}}}'],
    ['meta naming nothing', '{"json":{},"meta":{"values":{"missing":["Date"]},"v":1}}'],
  ])('params that are %s → PAYLOAD_INVALID; the provider never sees them', async (_what, payload) => {
    await using r = await rig();
    r.caller.send({ type: 'request', id: 21, method: 'calc.double' }, payload);
    expect(await r.caller.next()).toMatchObject({ type: 'error', id: 21, code: ErrorCode.PAYLOAD_INVALID });
    expect(await r.provider.drain()).toStrictEqual([]);
    await roundTrip(r, 22);
  });

  it('a request reusing an id still in flight → PROTOCOL_INVALID_MESSAGE; the first completes once', async () => {
    await using r = await rig();
    const request = await ask(r, 31, 1);
    r.caller.send({ type: 'request', id: 31, method: 'calc.double' }, '{"json":2}');
    expect(await r.caller.next()).toMatchObject({ type: 'error', id: 31, code: ErrorCode.PROTOCOL_INVALID_MESSAGE });
    expect(await r.provider.drain()).toStrictEqual([]);
    answer(r.provider, request, 2);
    expect(await r.caller.next()).toStrictEqual({ type: 'response', id: 31, payload: '{"json":2}' });
    expect(await r.caller.drain()).toStrictEqual([]);
    // once it completed, the id may be used again
    await roundTrip(r, 31);
  });

  it('with maxPendingRequests 5, the 6th concurrent request gets REQUEST_LIMIT and the first 5 complete', async () => {
    await using r = await rig({ maxPendingRequests: 5 });
    const requests: IncomingRequest[] = [];
    for (let id = 1; id <= 5; id++) requests.push(await ask(r, id, id));
    r.caller.send({ type: 'request', id: 6, method: 'calc.double' }, '{"json":6}');
    expect(await r.caller.next()).toMatchObject({ type: 'error', id: 6, code: ErrorCode.REQUEST_LIMIT });
    expect(await r.provider.drain()).toStrictEqual([]);
    // other connections have their own limit
    r.intruder.send({ type: 'request', id: 1, method: 'calc.double' }, '{"json":100}');
    const other = await r.provider.nextOf('request');
    answer(r.provider, other, 200);
    expect(await r.intruder.next()).toStrictEqual({ type: 'response', id: 1, payload: '{"json":200}' });
    for (const request of requests.reverse()) answer(r.provider, request, (JSON.parse(request.payload as string) as { json: number }).json * 2);
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await r.caller.next());
    expect(replies.sort((a, b) => ('id' in a && 'id' in b ? Number(a.id) - Number(b.id) : 0))).toStrictEqual(
      [1, 2, 3, 4, 5].map((id) => ({ type: 'response', id, payload: JSON.stringify({ json: id * 2 }) })),
    );
    // the limit frees up as requests complete
    await roundTrip(r, 6);
  });

  it('a response_error whose data is not a valid payload reaches the caller as a RemoteError without data', async () => {
    await using r = await rig();
    await using caller = await connect(r.router.url);
    const pending = rejection(caller.request('calc.double', 1));
    const request = await r.provider.nextOf('request');
    r.provider.send({ type: 'response_error', id: request.id, code: 'OUT_OF_RANGE', message: 'too big', data: '{"json":{"__proto__":1}}' });
    const error = expectError(await pending, RemoteError, 'OUT_OF_RANGE');
    expect(error.message).toBe('too big');
    expect(error.data).toBeUndefined();
    expect(await r.provider.drain()).toStrictEqual([]);
    await roundTrip(r, 1);
  });

  it('a provider’s response with an invalid payload: the caller gets PAYLOAD_INVALID (not a hang), the provider is told', async () => {
    await using r = await rig();
    const request = await ask(r, 41, 1);
    r.provider.send({ type: 'response', id: request.id }, '{"json":1,"meta":{"values":"nonsense"}}');
    expect(await r.caller.next()).toMatchObject({ type: 'error', id: 41, code: ErrorCode.PAYLOAD_INVALID });
    expect(await r.provider.next()).toMatchObject({ type: 'error', code: ErrorCode.PAYLOAD_INVALID });
    expect(await r.caller.drain()).toStrictEqual([]);
    // a client caller: rejects at once, with fake timers never advanced
    await using client = await connect(r.router.url);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending = rejection(client.request('calc.double', 2));
    const second = await r.provider.nextOf('request');
    r.provider.send({ type: 'response', id: second.id }, 'not json at all');
    expectError(await pending, HeraldError, ErrorCode.PAYLOAD_INVALID);
    await roundTrip(r, 42);
  });

  it('a provider’s stack is not passed on unless the router exposes stacks', async () => {
    for (const exposeErrorStacks of [false, true]) {
      await using r = await rig({ exposeErrorStacks });
      await using caller = await connect(r.router.url);
      expect(r.provider.welcome!.errorStacks === true).toBe(exposeErrorStacks);
      const pending = rejection(caller.request('calc.double', 1));
      const request = await r.provider.nextOf('request');
      r.provider.send({ type: 'response_error', id: request.id, code: 'BROKEN', message: 'broken', stack: 'Error: broken\n    at secretFrame (provider.js:1:1)' });
      const error = expectError(await pending, RemoteError, 'BROKEN');
      expect(error.remoteStack).toBe(exposeErrorStacks ? 'Error: broken\n    at secretFrame (provider.js:1:1)' : undefined);
    }
  });
});

describe('registration on the wire', () => {
  it('handle is idempotent; unhandle of a method not handled is confirmed', async () => {
    await using r = await rig();
    r.provider.send({ type: 'handle', id: 2, method: 'calc.double' });
    expect(await r.provider.next()).toStrictEqual({ type: 'handled', id: 2, method: 'calc.double' });
    expect(r.router.methods()).toStrictEqual([{ method: 'calc.double', providers: [{ id: r.provider.welcome!.id, name: 'provider' }] }]);
    r.intruder.send({ type: 'unhandle', id: 3, method: 'calc.double' });
    expect(await r.intruder.next()).toStrictEqual({ type: 'unhandled', id: 3, method: 'calc.double' });
    expect(r.router.methods()).toHaveLength(1);
    // one registration: one request per call, and one unhandle removes it
    await roundTrip(r, 1);
    r.provider.send({ type: 'unhandle', id: 4, method: 'calc.double' });
    expect(await r.provider.next()).toStrictEqual({ type: 'unhandled', id: 4, method: 'calc.double' });
    expect(r.router.methods()).toStrictEqual([]);
    r.caller.send({ type: 'request', id: 2, method: 'calc.double' }, '{"json":1}');
    expect(await r.caller.next()).toMatchObject({ type: 'error', id: 2, code: ErrorCode.NO_HANDLER });
  });
});

describe('params over maxPayload', () => {
  it('client-side request() rejects PAYLOAD_TOO_LARGE without closing; a raw 5,000-byte frame is closed with 1009, others undisturbed', async () => {
    await using r = await rig({ maxPayload: 4096 });
    await using client = await connect(r.router.url);
    expectError(await rejection(client.request('calc.double', 'x'.repeat(5_000))), ProtocolError, ErrorCode.PAYLOAD_TOO_LARGE);
    expect(client.state).toBe('open');
    // the client still works, and nothing reached the provider
    expect(await r.provider.drain()).toStrictEqual([]);
    const fine = client.request('calc.double', 'x'.repeat(100));
    answer(r.provider, await r.provider.nextOf('request'), 'ok');
    expect(await fine).toBe('ok');

    // a request in flight from another connection while a raw client sends an oversized frame
    const inFlight = await ask(r, 1, 1);
    const header = JSON.stringify({ type: 'request', id: 2, method: 'calc.double' });
    const payload = JSON.stringify({ json: 'y'.repeat(5_000 - header.length - 1 - 11) });
    const frame = `${header}\n${payload}`;
    expect(Buffer.byteLength(frame)).toBe(5_000);
    r.intruder.sendRaw(frame);
    expect((await r.intruder.closed).code).toBe(1009);
    answer(r.provider, inFlight, 2);
    expect(await r.caller.next()).toStrictEqual({ type: 'response', id: 1, payload: '{"json":2}' });
    expect(await r.provider.drain()).toStrictEqual([]);
    await roundTrip(r, 3);
  });
});
