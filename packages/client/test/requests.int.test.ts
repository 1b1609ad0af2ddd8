/**
 * Request/reply through a real router, from the client's side: round trips with rich types between
 * clients, the router's own handlers and `router.request`; browser-shaped sockets; remote errors,
 * timeouts, cancellation, NO_HANDLER; discovery; registration errors and invalid method names.
 * See PROTOCOL.md, "Requests".
 */
import { BrowserLikeWebSocket, deferred, expectError, RawClient, recordingWebSocket, rejection, startRouter, track } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Client,
  ErrorCode,
  HeraldError,
  RemoteError,
  type RequestContext,
  TimeoutError,
  type WebSocketConstructor,
  connect,
  jsonCodec,
} from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

// ---- helpers ----

/** Resolves with the signal's reason when its `abort` event fires. Call it before the abort. */
function abortEvent(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

/** Records every `error` event of the clients. */
function errorsOf(...clients: Client[]): HeraldError[] {
  const errors: HeraldError[] = [];
  for (const client of clients) client.on('error', (error) => errors.push(error));
  return errors;
}

/** A value with every type the superjson codec carries, nested. */
function rich(tag: string) {
  return {
    tag,
    at: new Date('2026-11-22T10:00:00.000Z'),
    rooms: new Map<string, number>([
      ['kitchen', 21.5],
      ['hall', -3],
    ]),
    tags: new Set(['a', 'b', tag]),
    big: 2n ** 70n + 1n,
    missing: undefined,
    bytes: new Uint8Array([0, 1, 127, 128, 254, 255]),
    nested: {
      list: [new Date(0), new Map<number, Set<bigint>>([[1, new Set([-1n, 10n ** 20n])]]), undefined],
      deep: { again: { bytes: new Uint8Array([9]), none: null } },
    },
  };
}

/** Checks the rich value arrived with its types, not only its JSON projection. */
function expectRich(value: unknown, tag: string): void {
  expect(value).toStrictEqual(rich(tag));
  const v = value as ReturnType<typeof rich>;
  expect(v.at).toBeInstanceOf(Date);
  expect(v.rooms).toBeInstanceOf(Map);
  expect(v.tags).toBeInstanceOf(Set);
  expect(typeof v.big).toBe('bigint');
  expect(v.bytes).toBeInstanceOf(Uint8Array);
  expect(Object.hasOwn(v, 'missing')).toBe(true);
  expect(v.nested.list[1]).toBeInstanceOf(Map);
}

const callerInfo = { role: 'dashboard', since: new Date('2026-01-02T03:04:05.000Z'), limits: new Map([['rps', 10]]) };

// ---- round trips ----

describe('round trip with rich types, both ways', () => {
  it('client → client: params and result keep Date, Map, Set, BigInt, undefined, Uint8Array, nesting; ctx has the caller', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller', info: callerInfo });
    const seen: Array<{ params: unknown; ctx: RequestContext }> = [];
    await provider.handle('rich.echo', (params, ctx) => {
      seen.push({ params, ctx });
      return { got: params, reply: rich('result') };
    });
    const result = (await caller.request('rich.echo', rich('params'))) as { got: unknown; reply: unknown };
    expectRich(result.got, 'params');
    expectRich(result.reply, 'result');
    expect(seen).toHaveLength(1);
    expectRich(seen[0]!.params, 'params');
    const { ctx } = seen[0]!;
    expect(ctx.method).toBe('rich.echo');
    expect(ctx.caller).toStrictEqual({ id: caller.id, name: 'caller', info: callerInfo });
    expect((ctx.caller.info as typeof callerInfo).since).toBeInstanceOf(Date);
    expect(ctx.signal.aborted).toBe(false);
  });

  it('client → router.handle: the same, served in-process', async () => {
    await using router = await startRouter();
    await using caller = await connect(router.url, { name: 'caller', info: callerInfo });
    const seen: Array<{ params: unknown; caller: unknown; method: string }> = [];
    await router.handle('rich.local', (params, ctx) => {
      seen.push({ params, caller: ctx.caller, method: ctx.method });
      return { got: params, reply: rich('router-result') };
    });
    const result = (await caller.request('rich.local', rich('params'))) as { got: unknown; reply: unknown };
    expectRich(result.got, 'params');
    expectRich(result.reply, 'router-result');
    expect(seen).toHaveLength(1);
    expectRich(seen[0]!.params, 'params');
    expect(seen[0]!.method).toBe('rich.local');
    expect(seen[0]!.caller).toStrictEqual({ id: caller.id, name: 'caller', info: callerInfo });
    expect((seen[0]!.caller as { info: typeof callerInfo }).info.since).toBeInstanceOf(Date);
  });

  it('router.request → client: the same; the caller is the router', async () => {
    await using router = await startRouter({ name: 'hq' });
    await using provider = await connect(router.url, { name: 'provider' });
    const seen: Array<{ params: unknown; ctx: RequestContext }> = [];
    await provider.handle('rich.remote', (params, ctx) => {
      seen.push({ params, ctx });
      return { got: params, reply: rich('client-result') };
    });
    const result = (await router.request('rich.remote', rich('params'))) as { got: unknown; reply: unknown };
    expectRich(result.got, 'params');
    expectRich(result.reply, 'client-result');
    expectRich(seen[0]!.params, 'params');
    expect(seen[0]!.ctx.caller).toStrictEqual({ id: router.id, name: 'hq', info: undefined });
  });

  it('a handler may return a Promise; its resolved value is the result', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    await provider.handle('math.slow_add', async (params) => {
      const [a, b] = params as [bigint, bigint];
      await Promise.resolve();
      return a + b;
    });
    expect(await caller.request('math.slow_add', [2n ** 64n, 1n])).toBe(2n ** 64n + 1n);
  });
});

describe('between codecs', () => {
  it('a json-codec caller and a superjson provider: values travel as their JSON projection, both ways', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'rich' });
    await using caller = await connect(router.url, { name: 'script', codec: jsonCodec, info: { role: 'script' } });
    const seen: unknown[] = [];
    await provider.handle('mixed.echo', (params, ctx) => {
      seen.push(params, ctx.caller);
      return { at: new Date('2026-11-22T10:00:00.000Z'), big: 42n, set: new Set([1, 2]), map: new Map([['k', 1]]) };
    });
    expect(await caller.request('mixed.echo', { list: [1, 'two', null] })).toStrictEqual({
      at: '2026-11-22T10:00:00.000Z',
      big: '42',
      set: [1, 2],
      map: [['k', 1]],
    });
    expect(seen).toStrictEqual([{ list: [1, 'two', null] }, { id: caller.id, name: 'script', info: { role: 'script' } }]);
    // and the other way round: a superjson caller, a json provider
    await using plain = await connect(router.url, { codec: jsonCodec });
    await plain.handle('plain.echo', (params) => params);
    expect(await provider.request('plain.echo', { at: new Date('2026-11-22T10:00:00.000Z'), n: 1n })).toStrictEqual({
      at: '2026-11-22T10:00:00.000Z',
      n: '1',
    });
  });
});

describe('browser-shaped clients (only the standard WebSocket surface)', () => {
  /** BrowserLikeWebSocket, recording the sockets it creates. */
  function browserSockets(): { WebSocket: WebSocketConstructor; created: BrowserLikeWebSocket[] } {
    const created: BrowserLikeWebSocket[] = [];
    return {
      created,
      WebSocket: class extends BrowserLikeWebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols);
          created.push(this);
        }
      },
    };
  }

  function expectBrowserShaped(socket: BrowserLikeWebSocket | undefined): void {
    expect(socket).toBeInstanceOf(BrowserLikeWebSocket);
    expect('on' in socket!).toBe(false);
    expect('terminate' in socket!).toBe(false);
    expect(socket!.protocol).toBe('herald.v1.superjson');
  }

  it('a browser-shaped caller: round trip with rich types to a Node provider', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'node-service' });
    const browser = browserSockets();
    await using caller = await connect(router.url, { name: 'dashboard', info: callerInfo, WebSocket: browser.WebSocket });
    expect(browser.created).toHaveLength(1);
    expectBrowserShaped(browser.created[0]);
    const callers: unknown[] = [];
    await provider.handle('stats.get', (params, ctx) => {
      callers.push(ctx.caller);
      return { got: params, reply: rich('stats') };
    });
    const result = (await caller.request('stats.get', rich('query'))) as { got: unknown; reply: unknown };
    expectRich(result.got, 'query');
    expectRich(result.reply, 'stats');
    expect(callers).toStrictEqual([{ id: caller.id, name: 'dashboard', info: callerInfo }]);
    // and its errors arrive coded, with data
    await provider.handle('stats.fail', () => {
      throw Object.assign(new Error('no stats yet'), { code: 'NOT_READY', data: { retryAt: new Date(5) } });
    });
    const error = expectError(await rejection(caller.request('stats.fail', null)), RemoteError, 'NOT_READY');
    expect(error.data).toStrictEqual({ retryAt: new Date(5) });
  });

  it('a browser-shaped provider: serves a Node caller and sees its abort', async () => {
    await using router = await startRouter();
    const browser = browserSockets();
    await using provider = await connect(router.url, { name: 'browser-tab', WebSocket: browser.WebSocket });
    expectBrowserShaped(browser.created[0]);
    await using caller = await connect(router.url, { name: 'node', info: callerInfo });
    const entered = deferred<AbortSignal>();
    await provider.handle('tab.echo', (params, ctx) => {
      if (params === 'hang') {
        entered.resolve(ctx.signal);
        return new Promise<never>(() => {});
      }
      expect(ctx.caller).toStrictEqual({ id: caller.id, name: 'node', info: callerInfo });
      return { got: params, reply: rich('from-tab') };
    });
    const result = (await caller.request('tab.echo', rich('to-tab'))) as { got: unknown; reply: unknown };
    expectRich(result.got, 'to-tab');
    expectRich(result.reply, 'from-tab');
    const controller = new AbortController();
    const hung = rejection(caller.request('tab.echo', 'hang', { signal: controller.signal }));
    const signal = await entered.promise;
    const aborted = abortEvent(signal);
    controller.abort();
    expectError(await hung, HeraldError, ErrorCode.REQUEST_CANCELLED);
    expectError(await aborted, HeraldError, ErrorCode.REQUEST_CANCELLED);
  });
});

// ---- errors ----

describe('handler errors', () => {
  const stockData = () => new Map<string, unknown>([['sku-1', { left: 0n, restock: new Date('2026-12-01T00:00:00.000Z') }]]);

  it('a thrown error with an UPPER_SNAKE code → RemoteError with that code, message and data (Map intact); no stack sent by default', async () => {
    await using router = await startRouter();
    const sent: string[] = [];
    await using provider = await connect(router.url, { WebSocket: recordingWebSocket(sent) });
    await using caller = await connect(router.url);
    await provider.handle('shop.buy', () => {
      throw Object.assign(new Error('sku-1 is sold out'), { code: 'OUT_OF_STOCK', data: stockData() });
    });
    const error = expectError(await rejection(caller.request('shop.buy', { sku: 'sku-1' })), RemoteError, 'OUT_OF_STOCK');
    expect(error.message).toBe('sku-1 is sold out');
    expect(error.data).toStrictEqual(stockData());
    expect(error.data).toBeInstanceOf(Map);
    expect(error.remoteStack).toBeUndefined();
    // The provider did not send its stack either: the router did not ask for stacks.
    const replies = sent.filter((frame) => frame.startsWith('{"type":"response_error"'));
    expect(replies).toHaveLength(1);
    expect(JSON.parse(replies[0]!.split('\n', 1)[0]!)).not.toHaveProperty('stack');
  });

  it('the router’s own handler: the same RemoteError, code, message and data; no stack by default', async () => {
    await using router = await startRouter();
    await using caller = await connect(router.url);
    await router.handle('shop.local_buy', () => {
      throw Object.assign(new Error('sku-1 is sold out'), { code: 'OUT_OF_STOCK', data: stockData() });
    });
    const error = expectError(await rejection(caller.request('shop.local_buy', null)), RemoteError, 'OUT_OF_STOCK');
    expect(error.message).toBe('sku-1 is sold out');
    expect(error.data).toStrictEqual(stockData());
    expect(error.remoteStack).toBeUndefined();
    // and to router.request
    const local = expectError(await rejection(router.request('shop.local_buy', null)), RemoteError, 'OUT_OF_STOCK');
    expect(local.data).toStrictEqual(stockData());
    expect(local.remoteStack).toBeUndefined();
  });

  it('a plain Error, a string, or a code that is not UPPER_SNAKE → HANDLER_ERROR', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    await provider.handle('fail.plain', () => {
      throw new Error('plain failure');
    });
    await provider.handle('fail.string', () => {
      throw 'a bare string';
    });
    await provider.handle('fail.lower', () => {
      throw Object.assign(new Error('lower-case code'), { code: 'not_a_code' });
    });
    await router.handle('fail.local_string', () => {
      throw 'a local string';
    });
    const plain = expectError(await rejection(caller.request('fail.plain', null)), RemoteError, ErrorCode.HANDLER_ERROR);
    expect(plain.message).toBe('plain failure');
    expect(plain.data).toBeUndefined();
    const text = expectError(await rejection(caller.request('fail.string', null)), RemoteError, ErrorCode.HANDLER_ERROR);
    expect(text.message).toBe('a bare string');
    expectError(await rejection(caller.request('fail.lower', null)), RemoteError, ErrorCode.HANDLER_ERROR);
    const local = expectError(await rejection(caller.request('fail.local_string', null)), RemoteError, ErrorCode.HANDLER_ERROR);
    expect(local.message).toBe('a local string');
  });

  it('a handler returning a rejected promise behaves like one that throws', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    await provider.handle('shop.async_buy', () =>
      Promise.reject(Object.assign(new Error('sold out later'), { code: 'OUT_OF_STOCK', data: stockData() })),
    );
    await provider.handle('shop.async_plain', async () => {
      await Promise.resolve();
      throw new Error('async plain');
    });
    await router.handle('shop.local_async', () => Promise.reject(Object.assign(new Error('local later'), { code: 'OUT_OF_STOCK', data: stockData() })));
    const remote = expectError(await rejection(caller.request('shop.async_buy', null)), RemoteError, 'OUT_OF_STOCK');
    expect(remote.message).toBe('sold out later');
    expect(remote.data).toStrictEqual(stockData());
    expectError(await rejection(caller.request('shop.async_plain', null)), RemoteError, ErrorCode.HANDLER_ERROR);
    const local = expectError(await rejection(caller.request('shop.local_async', null)), RemoteError, 'OUT_OF_STOCK');
    expect(local.data).toStrictEqual(stockData());
  });

  it('with exposeErrorStacks, remoteStack is the handler’s stack (client provider and router handler)', async () => {
    await using router = await startRouter({ exposeErrorStacks: true });
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    await provider.handle('stack.remote', function remoteInventoryHandler(): never {
      throw Object.assign(new Error('with a stack'), { code: 'OUT_OF_STOCK' });
    });
    await router.handle('stack.local', function localInventoryHandler(): never {
      throw new Error('local with a stack');
    });
    const remote = expectError(await rejection(caller.request('stack.remote', null)), RemoteError, 'OUT_OF_STOCK');
    expect(typeof remote.remoteStack).toBe('string');
    expect(remote.remoteStack).toContain('remoteInventoryHandler');
    const local = expectError(await rejection(caller.request('stack.local', null)), RemoteError, ErrorCode.HANDLER_ERROR);
    expect(local.remoteStack).toContain('localInventoryHandler');
    const inProcess = expectError(await rejection(router.request('stack.local', null)), RemoteError, ErrorCode.HANDLER_ERROR);
    expect(inProcess.remoteStack).toContain('localInventoryHandler');
  });
});

// ---- timeouts, cancellation, NO_HANDLER ----

describe('timeouts', () => {
  /** A provider whose `slow.op` hangs until its signal aborts, then returns late; `quick` answers at once. */
  async function slowProvider(provider: Client) {
    const entered = deferred<AbortSignal>();
    const returnedLate = deferred<void>();
    let calls = 0;
    await provider.handle('slow.op', async (params, ctx) => {
      calls++;
      if (params === 'quick') return 'quick-result';
      entered.resolve(ctx.signal);
      await abortEvent(ctx.signal);
      queueMicrotask(() => returnedLate.resolve());
      return 'late-result';
    });
    return { entered: entered.promise, returnedLate: returnedLate.promise, calls: () => calls };
  }

  it('default 10 s: not at 9,999 ms, TIMEOUT at 10,000 ms; the provider’s signal aborts; the late reply is dropped quietly', async () => {
    await using router = await startRouter();
    const sent: string[] = [];
    await using provider = await connect(router.url, { name: 'provider', WebSocket: recordingWebSocket(sent) });
    await using caller = await connect(router.url, { name: 'caller' });
    const errors = errorsOf(provider, caller);
    const slow = await slowProvider(provider);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const outcome = track(caller.request('slow.op', 'slow'));
    const signal = await slow.entered;
    const aborted = abortEvent(signal);
    await vi.advanceTimersByTimeAsync(9_999);
    // Whatever the router sent by now has arrived: a ping's pong comes after it.
    await caller.ping();
    await provider.ping();
    expect(outcome.settled()).toBe(false);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = expectError(await outcome.rejection, TimeoutError, ErrorCode.TIMEOUT);
    expect(error.retryable).toBe(true);
    const reason = await aborted;
    expect(reason).toBeInstanceOf(HeraldError);
    await slow.returnedLate;
    // The late reply went nowhere: everything sent so far has been handled by now.
    await provider.ping();
    await caller.ping();
    expect(await caller.request('slow.op', 'quick')).toBe('quick-result');
    expect(slow.calls()).toBe(2);
    expect(errors).toStrictEqual([]);
    // The provider sent no reply for the cancelled request: only the quick one was answered.
    const replies = sent.filter((frame) => /^\{"type":"response(_error)?"/.test(frame));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('quick-result');
  });

  it('a per-call timeout (500 ms) overrides the default', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    const errors = errorsOf(provider, caller);
    const slow = await slowProvider(provider);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const outcome = track(caller.request('slow.op', 'slow', { timeout: 500 }));
    const signal = await slow.entered;
    const aborted = abortEvent(signal);
    await vi.advanceTimersByTimeAsync(499);
    await caller.ping();
    expect(outcome.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expectError(await outcome.rejection, TimeoutError, ErrorCode.TIMEOUT);
    await aborted;
    await slow.returnedLate;
    await provider.ping();
    await caller.ping();
    expect(await caller.request('slow.op', 'quick', { timeout: 500 })).toBe('quick-result');
    expect(errors).toStrictEqual([]);
  });

  it('router.handle: on timeout the router’s own handler sees its signal abort', async () => {
    await using router = await startRouter();
    await using caller = await connect(router.url);
    const entered = deferred<AbortSignal>();
    await router.handle('slow.local', (_params, ctx) => {
      entered.resolve(ctx.signal);
      return new Promise<string>((resolve) => ctx.signal.addEventListener('abort', () => resolve('late')));
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const outcome = track(caller.request('slow.local', null, { timeout: 500 }));
    const signal = await entered.promise;
    const aborted = abortEvent(signal);
    await vi.advanceTimersByTimeAsync(500);
    expectError(await outcome.rejection, TimeoutError, ErrorCode.TIMEOUT);
    await aborted;
  });
});

describe('timeout values', () => {
  it('a fractional timeout goes out as whole milliseconds; a negative or NaN one is refused at once with OPTION_INVALID (call-options.int.test.ts has the whole range)', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller' });
    await provider.handle('echo', (params) => params);
    expect(await caller.request('echo', 'fine', { timeout: 1500.5 })).toBe('fine');
    for (const timeout of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectError(await rejection(caller.request('echo', 'no', { timeout })), HeraldError, ErrorCode.OPTION_INVALID);
    }
    expect(await caller.methods()).toHaveLength(1); // the connection was not hurt by any of it
  });

  it('a timeout past what timers hold (2^31 ms) does not fire at once: the router’s cap answers', async () => {
    await using router = await startRouter({ maxRequestTimeoutMs: 60_000 });
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller' });
    const entered = deferred<void>();
    await provider.handle('hang', () => {
      entered.resolve();
      return new Promise(() => {});
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const outcome = rejection(caller.request('hang', null, { timeout: 2 ** 40 }));
    await entered.promise;
    await vi.advanceTimersByTimeAsync(59_999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expectError(await outcome, TimeoutError, ErrorCode.TIMEOUT);
  });
});

describe('results too large', () => {
  it('a result over the router’s maxPayload reaches the caller as a RemoteError PAYLOAD_TOO_LARGE; the provider stays connected', async () => {
    await using router = await startRouter({ maxPayload: 4096 });
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller' });
    await provider.handle('big', (size) => 'x'.repeat(size as number));
    expect(await caller.request('big', 100)).toBe('x'.repeat(100));
    expectError(await rejection(caller.request('big', 10_000)), RemoteError, ErrorCode.PAYLOAD_TOO_LARGE);
    expect(provider.state).toBe('open');
    expect(await caller.request('big', 10)).toBe('x'.repeat(10));
  });
});

describe('cancellation with an AbortSignal', () => {
  it('controller.abort() rejects with REQUEST_CANCELLED and aborts the provider’s signal', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    const errors = errorsOf(provider, caller);
    const entered = deferred<AbortSignal>();
    await provider.handle('slow.cancel', (params, ctx) => {
      if (params === 'quick') return 'quick-result';
      entered.resolve(ctx.signal);
      return new Promise<string>((resolve) => ctx.signal.addEventListener('abort', () => resolve('late')));
    });
    const controller = new AbortController();
    const outcome = rejection(caller.request('slow.cancel', 'slow', { signal: controller.signal }));
    const signal = await entered.promise;
    const aborted = abortEvent(signal);
    controller.abort(new Error('the user navigated away'));
    const error = expectError(await outcome, HeraldError, ErrorCode.REQUEST_CANCELLED);
    expect(error.cause).toBeInstanceOf(Error);
    expectError(await aborted, HeraldError, ErrorCode.REQUEST_CANCELLED);
    await provider.ping();
    await caller.ping();
    expect(await caller.request('slow.cancel', 'quick')).toBe('quick-result');
    expect(errors).toStrictEqual([]);
  });

  it('an already-aborted signal rejects without sending anything', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    const calls: unknown[] = [];
    await provider.handle('count.me', (params) => {
      calls.push(params);
      return calls.length;
    });
    const controller = new AbortController();
    controller.abort();
    expectError(await rejection(caller.request('count.me', 'aborted', { signal: controller.signal })), HeraldError, ErrorCode.REQUEST_CANCELLED);
    // Frames on one connection keep their order: had the first been sent, it would arrive first.
    expect(await caller.request('count.me', 'second')).toBe(1);
    expect(calls).toStrictEqual(['second']);
  });
});

describe('replies after the caller gave up', () => {
  it('a router refusal that arrives after the caller cancelled is ignored, not reported as an error event', async () => {
    await using router = await startRouter();
    await using caller = await connect(router.url);
    const errors = errorsOf(caller);
    const controller = new AbortController();
    // The request frame is sent synchronously; the abort follows before the router's NO_HANDLER comes back.
    const outcome = rejection(caller.request('nobody.home', 1, { signal: controller.signal }));
    controller.abort();
    expectError(await outcome, HeraldError, ErrorCode.REQUEST_CANCELLED);
    await caller.ping(); // the router's answer to the request came before this pong
    expect(errors).toStrictEqual([]);
  });
});

describe('NO_HANDLER', () => {
  it('fails at once, not after a timeout (fake timers never advanced)', async () => {
    await using router = await startRouter();
    await using caller = await connect(router.url);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const error = expectError(await rejection(caller.request('nobody.home', 1)), HeraldError, ErrorCode.NO_HANDLER);
    expect(error).not.toBeInstanceOf(TimeoutError);
    expectError(await rejection(router.request('nobody.home', 1)), HeraldError, ErrorCode.NO_HANDLER);
  });

  it('fails at once after the only provider unregistered', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    const registration = await provider.handle('brief.job', () => 'done');
    expect(await caller.request('brief.job', null)).toBe('done');
    await registration.unregister();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    expectError(await rejection(caller.request('brief.job', null)), HeraldError, ErrorCode.NO_HANDLER);
  });
});

describe('unregister', () => {
  it('a request routed to a provider before it unregistered is still served', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    const registration = await provider.handle('job.last', () => 'served');
    // router.request routes at once: the request frame is on its way before unregister() starts.
    const result = router.request('job.last', null);
    const unregistered = registration.unregister();
    expect(await result).toBe('served');
    await unregistered;
    expect(router.methods()).toStrictEqual([]);
    expectError(await rejection(router.request('job.last', null)), HeraldError, ErrorCode.NO_HANDLER);
  });

  it('a request being served when its provider unregisters completes', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using caller = await connect(router.url);
    const entered = deferred<void>();
    const release = deferred<void>();
    const registration = await provider.handle('job.long', async () => {
      entered.resolve();
      await release.promise;
      return 'finished';
    });
    const result = caller.request('job.long', null);
    await entered.promise;
    await registration.unregister();
    release.resolve();
    expect(await result).toBe('finished');
  });
});

// ---- discovery ----

describe('discovery', () => {
  it('router.methods() and client.methods(): sorted by method, providers in registration order, the router as itself', async () => {
    await using router = await startRouter({ name: 'hq' });
    await using alpha = await connect(router.url, { name: 'alpha' });
    await using beta = await connect(router.url, { name: 'beta' });
    await using gamma = await RawClient.welcomed(router.url, { name: 'gamma' });
    // Registered out of order, on purpose.
    const betaZeta = await beta.handle('zeta.work', () => 'beta');
    await alpha.handle('zeta.work', () => 'alpha');
    gamma.send({ type: 'handle', id: 1, method: 'zeta.work' });
    expect(await gamma.next()).toStrictEqual({ type: 'handled', id: 1, method: 'zeta.work' });
    const routerZeta = await router.handle('zeta.work', () => 'router');
    await alpha.handle('mid.only', () => 1);
    const routerAlpha = await router.handle('alpha.local', () => 'router');
    const a = { id: alpha.id, name: 'alpha' };
    const b = { id: beta.id, name: 'beta' };
    const g = { id: gamma.welcome!.id, name: 'gamma' };
    const r = { id: router.id, name: 'hq' };
    const all = [
      { method: 'alpha.local', providers: [r] },
      { method: 'mid.only', providers: [a] },
      { method: 'zeta.work', providers: [b, a, g, r] },
    ];
    expect(router.methods()).toStrictEqual(all);
    expect(await beta.methods()).toStrictEqual(all);

    // A provider that unregisters disappears from its method.
    await betaZeta.unregister();
    expect(router.methods()[2]).toStrictEqual({ method: 'zeta.work', providers: [a, g, r] });
    // A provider that drops (socket destroyed, no close frame) disappears.
    const gone = new Promise<void>((resolve) => router.on('disconnect', () => resolve()));
    await gamma.destroy();
    await gone;
    expect(router.methods()[2]).toStrictEqual({ method: 'zeta.work', providers: [a, r] });
    // A provider that closes disappears; a method nobody provides any more is not listed.
    const closed = new Promise<void>((resolve) => router.on('disconnect', () => resolve()));
    await alpha.close();
    await closed;
    await routerAlpha.unregister();
    expect(router.methods()).toStrictEqual([{ method: 'zeta.work', providers: [r] }]);
    expect(await beta.methods()).toStrictEqual([{ method: 'zeta.work', providers: [r] }]);
    await routerZeta.unregister();
    expect(router.methods()).toStrictEqual([]);
    expect(await beta.methods()).toStrictEqual([]);
  });
});

// ---- registration errors and invalid names ----

describe('registration errors', () => {
  it('client.handle twice for one method rejects HANDLER_EXISTS; the first handler keeps serving', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    await using other = await connect(router.url);
    await using caller = await connect(router.url);
    await provider.handle('dup.method', () => 'first');
    expectError(await rejection(provider.handle('dup.method', () => 'second')), HeraldError, ErrorCode.HANDLER_EXISTS);
    expect(await caller.request('dup.method', null)).toBe('first');
    // Another client providing the same method is no conflict: the method is spread.
    await other.handle('dup.method', () => 'other');
    expect(router.methods()).toStrictEqual([
      { method: 'dup.method', providers: [{ id: provider.id, name: provider.name }, { id: other.id, name: other.name }] },
    ]);
  });

  it('router.handle twice for one method rejects HANDLER_EXISTS; the first handler keeps serving', async () => {
    await using router = await startRouter();
    await using caller = await connect(router.url);
    await router.handle('dup.local', () => 'first');
    expectError(await rejection(router.handle('dup.local', () => 'second')), HeraldError, ErrorCode.HANDLER_EXISTS);
    expect(await caller.request('dup.local', null)).toBe('first');
    expect(await router.request('dup.local', null)).toBe('first');
    expect(router.methods()).toStrictEqual([{ method: 'dup.local', providers: [{ id: router.id, name: router.name }] }]);
  });

  it.each(['a..b', 'a.*', '', 'a.>', 'has space'])('the invalid method name %j → METHOD_INVALID on request and handle, client and router', async (method) => {
    await using router = await startRouter();
    const sent: string[] = [];
    await using client = await connect(router.url, { WebSocket: recordingWebSocket(sent) });
    const sentBefore = sent.length;
    expectError(await rejection(client.request(method, 1)), HeraldError, ErrorCode.METHOD_INVALID);
    expectError(await rejection(client.handle(method, () => 1)), HeraldError, ErrorCode.METHOD_INVALID);
    expect(sent.length).toBe(sentBefore); // refused client-side: nothing was sent
    expectError(await rejection(router.request(method, 1)), HeraldError, ErrorCode.METHOD_INVALID);
    expectError(await rejection(router.handle(method, () => 1)), HeraldError, ErrorCode.METHOD_INVALID);
    expect(router.methods()).toStrictEqual([]);
    expect(client.state).toBe('open');
    // nothing was registered on the client either: a valid handle still works
    await client.handle('a.b', () => 'ok');
    expect(await router.request('a.b', null)).toBe('ok');
  });
});
