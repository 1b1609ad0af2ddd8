/**
 * Request routing through a real router: spreading across providers (fewest in flight, ties round
 * robin), providers and callers that drop mid-request, 1000 requests in flight on one connection
 * with replies out of order, and `router.request`. See PROTOCOL.md, "Requests".
 */
import { type Client, ErrorCode, HeraldError, TimeoutError, connect } from '@herald/client';
import type { DefaultSchema, ServerMessage } from '@herald/protocol';
import { deferred, expectError, RawClient, recordingWebSocket, rejection, startRouter, track } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALLOW_EVERYTHING, type LogLevel, type Logger } from '../src/index.js';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;
type IncomingRequest = Extract<ServerMessage, { type: 'request' }>;

afterEach(() => {
  vi.useRealTimers();
});

// ---- helpers ----

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A promise's outcome, observable without awaiting it. */
function watch(promise: Promise<unknown>): { settled: () => boolean; done: Promise<Outcome> } {
  let settled = false;
  const done = promise.then(
    (value): Outcome => ({ ok: true, value }),
    (error: unknown): Outcome => ({ ok: false, error }),
  );
  void done.finally(() => (settled = true));
  return { settled: () => settled, done };
}

function abortEvent(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

interface LogLine {
  level: LogLevel;
  message: string;
  context: Readonly<Record<string, unknown>> | undefined;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, logger: { log: (level, message, context) => lines.push({ level, message, context }) } };
}

/** Resolves on the router's next `disconnect` event. */
function nextDisconnect(router: Router): Promise<void> {
  return new Promise((resolve) => {
    const off = router.on('disconnect', () => {
      off();
      resolve();
    });
  });
}

/** A raw provider of `methods`, welcomed and registered. */
async function rawProvider(router: Router, name: string, ...methods: string[]): Promise<RawClient> {
  const raw = await RawClient.welcomed(router.url, { name });
  for (const [i, method] of methods.entries()) {
    raw.send({ type: 'handle', id: i + 1, method });
    expect(await raw.next()).toStrictEqual({ type: 'handled', id: i + 1, method });
  }
  return raw;
}

/** Answers every request a raw provider gets with `{"json": name}`, counting them, until it closes. */
function serveByHand(raw: RawClient, name: string, counts: Map<string, number>): Promise<void> {
  return (async () => {
    for (;;) {
      let request: IncomingRequest;
      try {
        request = await raw.nextOf('request');
      } catch {
        return; // closed
      }
      counts.set(name, (counts.get(name) ?? 0) + 1);
      raw.send({ type: 'response', id: request.id }, JSON.stringify({ json: name }));
    }
  })();
}

function tally(names: unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[String(name)] = (counts[String(name)] ?? 0) + 1;
  return counts;
}

/** A deterministic shuffle (mulberry32, Fisher–Yates). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function payloadOf(request: IncomingRequest): unknown {
  return (JSON.parse(request.payload as string) as { json: unknown }).json;
}

// ---- spreading ----

describe('spreading across 3 providers', () => {
  async function threeProviders(router: Router) {
    const clients: Client[] = [];
    for (const name of ['p1', 'p2', 'p3']) {
      const client = await connect(router.url, { name });
      await client.handle('work.spread', () => name);
      clients.push(client);
    }
    return clients;
  }

  it('300 sequential requests: exactly 100 each (round robin when all are idle)', async () => {
    await using router = await startRouter();
    const providers = await threeProviders(router);
    await using caller = await connect(router.url);
    const results: unknown[] = [];
    for (let i = 0; i < 300; i++) results.push(await caller.request('work.spread', i));
    expect(tally(results)).toStrictEqual({ p1: 100, p2: 100, p3: 100 });
    // strictly in turn, not merely balanced
    expect(results.slice(0, 6)).toStrictEqual([results[0], results[1], results[2], results[0], results[1], results[2]]);
    expect(new Set(results.slice(0, 3)).size).toBe(3);
    await Promise.all(providers.map((p) => p.close()));
  });

  it('300 concurrent requests held by their handlers: 100 in flight at each provider (fewest in flight)', async () => {
    await using router = await startRouter();
    const release = deferred<void>();
    const inFlight = new Map<string, number>();
    const all = deferred<void>();
    let total = 0;
    const providers: Client[] = [];
    for (const name of ['p1', 'p2', 'p3']) {
      const client = await connect(router.url, { name });
      await client.handle('work.held', async (params) => {
        inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
        if (++total === 300) all.resolve();
        await release.promise;
        return [name, params];
      });
      providers.push(client);
    }
    await using caller = await connect(router.url);
    const promises = Array.from({ length: 300 }, (_, i) => caller.request('work.held', i));
    await all.promise;
    expect(Object.fromEntries(inFlight)).toStrictEqual({ p1: 100, p2: 100, p3: 100 });
    release.resolve();
    const results = (await Promise.all(promises)) as Array<[string, number]>;
    expect(results.map(([, i]) => i)).toStrictEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(tally(results.map(([name]) => name))).toStrictEqual({ p1: 100, p2: 100, p3: 100 });
    await Promise.all(providers.map((p) => p.close()));
  });

  it('a busy provider is skipped: a new request goes to the one with fewest in flight', async () => {
    await using router = await startRouter();
    await using first = await rawProvider(router, 'first', 'work.mixed');
    await using second = await rawProvider(router, 'second', 'work.mixed');
    await using caller = await connect(router.url);
    // router.request routes at once; a ping's pong then shows which provider got the request
    const held = router.request('work.mixed', 'held');
    const [atFirst, atSecond] = [await first.drain(), await second.drain()];
    expect(atFirst.length + atSecond.length).toBe(1);
    const [busy, idle] = atFirst.length === 1 ? [first, second] : [second, first];
    const heldRequest = [...atFirst, ...atSecond][0] as IncomingRequest;
    const counts = new Map<string, number>();
    const serving = serveByHand(idle, 'idle', counts);
    for (let i = 0; i < 5; i++) expect(await caller.request('work.mixed', i)).toBe('idle');
    expect(counts.get('idle')).toBe(5);
    expect(await busy.drain()).toStrictEqual([]);
    busy.send({ type: 'response', id: heldRequest.id }, '{"json":"busy"}');
    expect(await held).toBe('busy');
    await idle.destroy();
    await serving;
  });

  it('the router’s own handler takes its turn with the client providers', async () => {
    await using router = await startRouter();
    const providers = await threeProviders(router);
    await router.handle('work.spread', () => 'router');
    await using caller = await connect(router.url);
    const results: unknown[] = [];
    for (let i = 0; i < 400; i++) results.push(await caller.request('work.spread', i));
    expect(tally(results)).toStrictEqual({ p1: 100, p2: 100, p3: 100, router: 100 });
    await Promise.all(providers.map((p) => p.close()));
  });

  it('a provider that drops gets none after it drops; the other two share the rest fairly', async () => {
    await using router = await startRouter();
    const counts = new Map<string, number>();
    const r1 = await connect(router.url, { name: 'p1' });
    await r1.handle('work.drop', () => 'p1');
    const raw = await rawProvider(router, 'p2', 'work.drop');
    const serving = serveByHand(raw, 'p2', counts);
    const r3 = await connect(router.url, { name: 'p3' });
    await r3.handle('work.drop', () => 'p3');
    await using caller = await connect(router.url);
    const before: unknown[] = [];
    for (let i = 0; i < 300; i++) before.push(await caller.request('work.drop', i));
    expect(tally(before)).toStrictEqual({ p1: 100, p2: 100, p3: 100 });
    expect(counts.get('p2')).toBe(100);

    const gone = nextDisconnect(router);
    await raw.destroy(); // no close frame
    await gone;
    await serving;
    expect(router.methods()).toStrictEqual([
      { method: 'work.drop', providers: [{ id: r1.id, name: 'p1' }, { id: r3.id, name: 'p3' }] },
    ]);
    const after: unknown[] = [];
    for (let i = 0; i < 300; i++) after.push(await caller.request('work.drop', i));
    expect(tally(after)).toStrictEqual({ p1: 150, p3: 150 });
    expect(counts.get('p2')).toBe(100);
    await r1.close();
    await r3.close();
  });

  it('a provider that unregisters gets no more requests at once', async () => {
    await using router = await startRouter();
    const calls = new Map<string, number>();
    const providers: Client[] = [];
    const registrations = [];
    for (const name of ['p1', 'p2', 'p3']) {
      const client = await connect(router.url, { name });
      registrations.push(
        await client.handle('work.leave', () => {
          calls.set(name, (calls.get(name) ?? 0) + 1);
          return name;
        }),
      );
      providers.push(client);
    }
    await using caller = await connect(router.url);
    const before: unknown[] = [];
    for (let i = 0; i < 9; i++) before.push(await caller.request('work.leave', i));
    expect(tally(before)).toStrictEqual({ p1: 3, p2: 3, p3: 3 });
    await registrations[1]!.unregister();
    const after: unknown[] = [];
    for (let i = 0; i < 100; i++) after.push(await caller.request('work.leave', i));
    expect(tally(after)).toStrictEqual({ p1: 50, p3: 50 });
    expect(calls.get('p2')).toBe(3);
    await Promise.all(providers.map((p) => p.close()));
  });
});

// ---- drops mid-request ----

describe('a provider that drops mid-request', () => {
  it('its callers fail with HANDLER_GONE at once, not at the timeout; requests at other providers are undisturbed', async () => {
    await using router = await startRouter();
    await using doomed = await rawProvider(router, 'doomed', 'work.fragile');
    await using steady = await rawProvider(router, 'steady', 'work.fragile');
    await using caller = await connect(router.url);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // four requests (three from a client, one from the router): fewest in flight puts two at each provider
    const outcomes = [...[1, 2, 3].map((n) => watch(caller.request('work.fragile', n))), watch(router.request('work.fragile', 4))];
    const atDoomed = [await doomed.nextOf('request'), await doomed.nextOf('request')];
    const atSteady = [await steady.nextOf('request'), await steady.nextOf('request')];
    const doomedParams = atDoomed.map(payloadOf) as number[];
    const steadyParams = atSteady.map(payloadOf) as number[];
    expect([...doomedParams, ...steadyParams].sort()).toStrictEqual([1, 2, 3, 4]);

    await doomed.destroy(); // socket destroyed, no close frame; the timers are never advanced
    for (const n of doomedParams) {
      const outcome = await outcomes[n - 1]!.done;
      expect(outcome.ok).toBe(false);
      const error = expectError(!outcome.ok && outcome.error, HeraldError, ErrorCode.HANDLER_GONE);
      expect(error).not.toBeInstanceOf(TimeoutError);
      expect(error.retryable).toBe(true);
    }
    await caller.ping();
    for (const n of steadyParams) expect(outcomes[n - 1]!.settled()).toBe(false);
    for (const request of atSteady) steady.send({ type: 'response', id: request.id }, JSON.stringify({ json: (payloadOf(request) as number) * 10 }));
    for (const n of steadyParams) expect(await outcomes[n - 1]!.done).toStrictEqual({ ok: true, value: n * 10 });
  });

  it('a caller that drops: the provider’s signal aborts and its reply is dropped quietly', async () => {
    const { logger, lines } = capturingLogger();
    // Everything allowed on purpose, so the router does not warn about it.
    await using router = await startRouter({ logger, defaultPermissions: ALLOW_EVERYTHING });
    const sent: string[] = [];
    await using provider = await connect(router.url, { name: 'provider', WebSocket: recordingWebSocket(sent) });
    const errors: HeraldError[] = [];
    provider.on('error', (error) => errors.push(error));
    const entered = deferred<AbortSignal>();
    const returned = deferred<void>();
    await provider.handle('job.run', async (params, ctx) => {
      if (params === 'quick') return 'quick-result';
      entered.resolve(ctx.signal);
      await abortEvent(ctx.signal);
      queueMicrotask(() => returned.resolve());
      return 'too late';
    });
    const caller = await RawClient.welcomed(router.url, { name: 'flaky' });
    caller.send({ type: 'request', id: 7, method: 'job.run', timeout: 10_000 }, '{"json":"slow"}');
    const signal = await entered.promise;
    const aborted = abortEvent(signal);
    await caller.destroy();
    expectError(await aborted, HeraldError, ErrorCode.REQUEST_CANCELLED);
    await returned.promise;
    await provider.ping();
    expect(errors).toStrictEqual([]);
    // the provider keeps serving
    await using other = await connect(router.url);
    expect(await other.request('job.run', 'quick')).toBe('quick-result');
    expect(lines.filter((line) => line.level === 'error' || line.level === 'warn')).toStrictEqual([]);
    // the provider sent no reply for the abandoned request: only the quick one was answered
    const replies = sent.filter((frame) => /^\{"type":"response(_error)?"/.test(frame));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('quick-result');
  });

  it('a caller that drops: a raw provider gets cancel (caller_gone); its late reply is dropped with a log line', async () => {
    const { logger, lines } = capturingLogger();
    await using router = await startRouter({ logger });
    await using provider = await rawProvider(router, 'provider', 'job.raw');
    const caller = await RawClient.welcomed(router.url, { name: 'flaky' });
    caller.send({ type: 'request', id: 7, method: 'job.raw' }, '{"json":"slow"}');
    const request = await provider.nextOf('request');
    expect(request).toMatchObject({ method: 'job.raw', caller: { id: caller.welcome!.id, name: 'flaky' }, timeout: 10_000 });
    await caller.destroy();
    expect(await provider.next()).toStrictEqual({ type: 'cancel', id: request.id, reason: 'caller_gone' });
    provider.send({ type: 'response', id: request.id }, '{"json":"too late"}');
    expect(await provider.drain()).toStrictEqual([]);
    const dropped = lines.filter((line) => line.context?.request === request.id && line.context?.id === provider.welcome!.id);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.level).toBe('debug');
    expect(dropped[0]!.message).toMatch(/drop/i);
  });
});

describe('a caller that drops while the router serves it', () => {
  it('the router’s own handler sees its signal abort; its result is dropped', async () => {
    await using router = await startRouter();
    const entered = deferred<AbortSignal>();
    const finished = deferred<void>();
    await router.handle('job.local', async (params, ctx) => {
      if (params === 'quick') return 'quick-result';
      entered.resolve(ctx.signal);
      await abortEvent(ctx.signal);
      queueMicrotask(() => finished.resolve());
      return 'too late';
    });
    const caller = await RawClient.welcomed(router.url, { name: 'flaky' });
    caller.send({ type: 'request', id: 1, method: 'job.local' }, '{"json":"slow"}');
    const signal = await entered.promise;
    const aborted = abortEvent(signal);
    await caller.destroy();
    expectError(await aborted, HeraldError, ErrorCode.REQUEST_CANCELLED);
    await finished.promise;
    await using other = await connect(router.url);
    expect(await other.request('job.local', 'quick')).toBe('quick-result');
  });
});

// ---- many in flight ----

describe('many requests in flight', () => {
  it('1000 concurrent requests on one connection, answered in a shuffled order: each gets its own result', async () => {
    await using router = await startRouter();
    await using provider = await rawProvider(router, 'bulk', 'bulk.double');
    await using caller = await connect(router.url);
    const promises = Array.from({ length: 1000 }, (_, i) => caller.request('bulk.double', i));
    const requests: IncomingRequest[] = [];
    for (let i = 0; i < 1000; i++) requests.push(await provider.nextOf('request'));
    expect(new Set(requests.map((r) => r.id)).size).toBe(1000);
    expect(requests.map(payloadOf).sort((a, b) => (a as number) - (b as number))).toStrictEqual(Array.from({ length: 1000 }, (_, i) => i));
    const order = shuffled(requests, 0x5eed);
    expect(order.map((r) => r.id)).not.toStrictEqual(requests.map((r) => r.id));
    for (const request of order) {
      provider.send({ type: 'response', id: request.id }, JSON.stringify({ json: (payloadOf(request) as number) * 2 }));
    }
    expect(await Promise.all(promises)).toStrictEqual(Array.from({ length: 1000 }, (_, i) => i * 2));
  });
});

// ---- router.request ----

describe('router.request', () => {
  it('asks a client provider and the router’s own handler', async () => {
    await using router = await startRouter({ name: 'hq' });
    await using provider = await connect(router.url, { name: 'calc' });
    const callers: unknown[] = [];
    await provider.handle('calc.double', (n, ctx) => {
      callers.push(ctx.caller);
      return { doubled: (n as bigint) * 2n, at: new Date(7) };
    });
    await router.handle('calc.triple', (n, ctx) => {
      callers.push(ctx.caller);
      return (n as bigint) * 3n;
    });
    expect(await router.request('calc.double', 21n)).toStrictEqual({ doubled: 42n, at: new Date(7) });
    expect(await router.request('calc.triple', 5n)).toBe(15n);
    expect(callers).toStrictEqual([
      { id: router.id, name: 'hq', info: undefined },
      { id: router.id, name: 'hq', info: undefined },
    ]);
  });

  it('NO_HANDLER at once (fake timers never advanced)', async () => {
    await using router = await startRouter();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    expectError(await rejection(router.request('nobody.home', 1)), HeraldError, ErrorCode.NO_HANDLER);
  });

  it('TIMEOUT after the default 10 s (not at 9,999 ms); the provider gets cancel (timeout)', async () => {
    await using router = await startRouter();
    await using provider = await rawProvider(router, 'slow', 'slow.raw');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const outcome = track(router.request('slow.raw', 1));
    const request = await provider.nextOf('request');
    expect(request.timeout).toBe(10_000);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(outcome.settled()).toBe(false);
    expect(await provider.drain()).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const error = expectError(await outcome.rejection, TimeoutError, ErrorCode.TIMEOUT);
    expect(error.retryable).toBe(true);
    expect(await provider.next()).toStrictEqual({ type: 'cancel', id: request.id, reason: 'timeout' });
    // the late reply is dropped
    provider.send({ type: 'response', id: request.id }, '{"json":"late"}');
    expect(await provider.drain()).toStrictEqual([]);
  });

  it('a per-call timeout; the router’s own handler sees its signal abort with TIMEOUT', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url);
    const clientSignal = deferred<AbortSignal>();
    await provider.handle('slow.client', (_p, ctx) => {
      clientSignal.resolve(ctx.signal);
      return new Promise<never>(() => {});
    });
    const localSignal = deferred<AbortSignal>();
    await router.handle('slow.local', (_p, ctx) => {
      localSignal.resolve(ctx.signal);
      return new Promise<never>(() => {});
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const remote = track(router.request('slow.client', 1, { timeout: 500 }));
    const local = track(router.request('slow.local', 1, { timeout: 500 }));
    const remoteAborted = abortEvent(await clientSignal.promise);
    const localAborted = abortEvent(await localSignal.promise);
    await vi.advanceTimersByTimeAsync(499);
    await provider.ping();
    expect(remote.settled() || local.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expectError(await remote.rejection, TimeoutError, ErrorCode.TIMEOUT);
    expectError(await local.rejection, TimeoutError, ErrorCode.TIMEOUT);
    expectError(await remoteAborted, HeraldError, ErrorCode.TIMEOUT);
    expectError(await localAborted, HeraldError, ErrorCode.TIMEOUT);
  });

  it('a caller’s timeout is capped at maxRequestTimeoutMs', async () => {
    await using router = await startRouter({ maxRequestTimeoutMs: 1_000 });
    await using provider = await rawProvider(router, 'slow', 'slow.capped');
    await using caller = await RawClient.welcomed(router.url);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    caller.send({ type: 'request', id: 3, method: 'slow.capped', timeout: 60_000 }, '{"json":1}');
    const request = await provider.nextOf('request');
    expect(request.timeout).toBe(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await caller.next()).toMatchObject({ type: 'error', id: 3, code: ErrorCode.TIMEOUT });
    expect(await provider.next()).toStrictEqual({ type: 'cancel', id: request.id, reason: 'timeout' });
  });

  it('an AbortSignal cancels: REQUEST_CANCELLED, the provider gets cancel (cancelled); an aborted one is never sent', async () => {
    await using router = await startRouter();
    await using provider = await rawProvider(router, 'slow', 'slow.cancel');
    const localSignal = deferred<AbortSignal>();
    await router.handle('slow.local_cancel', (_p, ctx) => {
      localSignal.resolve(ctx.signal);
      return new Promise<never>(() => {});
    });
    const controller = new AbortController();
    const remote = rejection(router.request('slow.cancel', 1, { signal: controller.signal }));
    const local = rejection(router.request('slow.local_cancel', 1, { signal: controller.signal }));
    const request = await provider.nextOf('request');
    const localAborted = abortEvent(await localSignal.promise);
    controller.abort();
    expectError(await remote, HeraldError, ErrorCode.REQUEST_CANCELLED);
    expectError(await local, HeraldError, ErrorCode.REQUEST_CANCELLED);
    expectError(await localAborted, HeraldError, ErrorCode.REQUEST_CANCELLED);
    expect(await provider.next()).toStrictEqual({ type: 'cancel', id: request.id, reason: 'cancelled' });
    // already aborted: rejected without sending anything
    expectError(await rejection(router.request('slow.cancel', 2, { signal: controller.signal })), HeraldError, ErrorCode.REQUEST_CANCELLED);
    expect(await provider.drain()).toStrictEqual([]);
  });
});

