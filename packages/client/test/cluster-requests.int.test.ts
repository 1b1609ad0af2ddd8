/**
 * Requests across routers (issue 13), through the Engine's routing seam on an in-process bus
 * (ClusterBus: three routers, each on its own MemoryEngine): a provider on router B serves a caller
 * on router A; load spreads over the providers of every router; when B's node is lost its in-flight
 * calls fail HANDLER_GONE at once; no provider anywhere is NO_HANDLER at once; a caller's timeout
 * cancels the provider on the other router.
 */
import { ClusterBus, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { ErrorCode, HeraldError, type RequestContext, connect } from '../src/index.js';

async function cluster(n = 3) {
  const bus = new ClusterBus();
  const routers: Array<Awaited<ReturnType<typeof startRouter>>> = [];
  for (let i = 0; i < n; i++) routers.push(await startRouter({ name: `r${i}`, engine: bus.engine(`node-${i}`) }));
  return {
    bus,
    routers,
    async [Symbol.asyncDispose]() {
      await Promise.all(routers.map((r) => r.close()));
    },
  };
}

describe('requests across routers', () => {
  it('a provider on router B serves a caller on router A, params and result keep their types, the caller is named', async () => {
    await using c = await cluster(2);
    const [a, b] = c.routers;
    await using provider = await connect(b!.url, { name: 'provider' });
    const seen: Array<{ params: unknown; caller: string }> = [];
    await provider.handle('stats.get', (params, ctx) => {
      seen.push({ params, caller: ctx.caller.name });
      return { at: new Date(0), n: 42n };
    });
    await using caller = await connect(a!.url, { name: 'caller', info: { role: 'dashboard' } });
    expect(await caller.request('stats.get', { since: new Date(5) })).toEqual({ at: new Date(0), n: 42n });
    expect(seen).toEqual([{ params: { since: new Date(5) }, caller: 'caller' }]);
  });

  it('spreads the load over the providers of every router', async () => {
    await using c = await cluster(3);
    const served: string[] = [];
    const providers = await Promise.all(
      c.routers.map(async (router, i) => {
        const client = await connect(router.url, { name: `p${i}` });
        await client.handle('work.do', () => served.push(`p${i}`));
        return client;
      }),
    );
    try {
      await using caller = await connect(c.routers[0]!.url);
      for (let i = 0; i < 30; i++) await caller.request('work.do', i);
      const counts = Object.fromEntries(['p0', 'p1', 'p2'].map((p) => [p, served.filter((s) => s === p).length]));
      expect(counts).toEqual({ p0: 10, p1: 10, p2: 10 });
    } finally {
      await Promise.all(providers.map((p) => p.close()));
    }
  });

  it("a provider's node lost: its in-flight calls fail HANDLER_GONE at once, later calls go elsewhere or NO_HANDLER", async () => {
    await using c = await cluster(2);
    const [a, b] = c.routers;
    await using provider = await connect(b!.url, { reconnect: false });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    await provider.handle('slow.op', () => {
      started();
      return new Promise(() => {}); // never answers
    });
    await using caller = await connect(a!.url);
    const pending = caller.request('slow.op', null, { timeout: 60_000 }).catch((e: unknown) => e);
    await running;
    c.bus.kill('node-1');
    const error = await pending;
    expect(error).toBeInstanceOf(HeraldError);
    expect((error as HeraldError).code).toBe(ErrorCode.HANDLER_GONE);
    expect((error as HeraldError).retryable).toBe(true);
    const next = await caller.request('slow.op', null).catch((e: unknown) => e);
    expect((next as HeraldError).code).toBe(ErrorCode.NO_HANDLER);
  });

  it('nobody provides the method on any router: NO_HANDLER at once; one unregistered on B: NO_HANDLER again', async () => {
    await using c = await cluster(3);
    await using caller = await connect(c.routers[0]!.url);
    const none = await caller.request('nobody.home', null).catch((e: unknown) => e);
    expect((none as HeraldError).code).toBe(ErrorCode.NO_HANDLER);
    await using provider = await connect(c.routers[1]!.url);
    const registration = await provider.handle('briefly.here', () => 'here');
    expect(await caller.request('briefly.here', null)).toBe('here');
    await registration.unregister();
    const gone = await caller.request('briefly.here', null).catch((e: unknown) => e);
    expect((gone as HeraldError).code).toBe(ErrorCode.NO_HANDLER);
  });

  it("the caller's timeout cancels the provider on the other router (reason timeout); its provider drop fails the caller HANDLER_GONE", async () => {
    await using c = await cluster(2);
    const [a, b] = c.routers;
    await using provider = await connect(b!.url, { reconnect: false });
    const aborted: unknown[] = [];
    let started!: () => void;
    let running = new Promise<void>((resolve) => (started = resolve));
    await provider.handle('wait.forever', (_params, ctx: RequestContext) => {
      started();
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => (aborted.push(ctx.signal.reason), reject(ctx.signal.reason))));
    });
    await using caller = await connect(a!.url);
    const timedOut = await caller.request('wait.forever', null, { timeout: 50 }).catch((e: unknown) => e);
    expect((timedOut as HeraldError).code).toBe(ErrorCode.TIMEOUT);
    await running;
    await provider.ping();
    while (aborted.length === 0) await provider.ping();
    expect((aborted[0] as HeraldError).code).toBe(ErrorCode.TIMEOUT);

    running = new Promise<void>((resolve) => (started = resolve));
    const pending = caller.request('wait.forever', null, { timeout: 60_000 }).catch((e: unknown) => e);
    await running;
    await provider.close();
    expect((await pending as HeraldError).code).toBe(ErrorCode.HANDLER_GONE);
  });
});
