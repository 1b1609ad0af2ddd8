/**
 * A provider can tell a caller's timeout from a cancel (PROTOCOL.md §6 `cancel`; issue 11): the
 * caller's `cancel` says `reason: "timeout"` when its own timer ran out, the router's `cancel` to the
 * provider carries `timeout`, `cancelled` or `caller_gone`, and a Herald provider's AbortSignal
 * reason is a HeraldError coded `TIMEOUT` or `REQUEST_CANCELLED`.
 */
import { RawClient, deferred, recordingWebSocket, rejection, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Client, ErrorCode, HeraldError, connect } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A Herald provider of `slow.op` that hangs until aborted and reports each signal's reason. */
async function hangingProvider(provider: Client): Promise<{ next: () => Promise<unknown> }> {
  const reasons: Array<ReturnType<typeof deferred<unknown>>> = [deferred<unknown>()];
  let served = 0;
  await provider.handle('slow.op', (_params, ctx) => {
    const reported = reasons[served++]!;
    reasons.push(deferred<unknown>());
    return new Promise((resolve) => {
      const report = (): void => (reported.resolve(ctx.signal.reason), resolve(null));
      // The cancel may come before the handler runs: the signal is then aborted already.
      if (ctx.signal.aborted) report();
      else ctx.signal.addEventListener('abort', report, { once: true });
    });
  });
  let read = 0;
  return { next: () => reasons[read++]!.promise };
}

describe('cancel reasons', () => {
  it('a caller’s cancel with reason "timeout" aborts the provider with TIMEOUT; without one, REQUEST_CANCELLED', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    const reasons = await hangingProvider(provider);
    await using caller = await RawClient.welcomed(router.url, { name: 'py' }, { protocols: ['herald.v1.json'] });
    caller.send({ type: 'request', id: 1, method: 'slow.op', timeout: 60_000 }, 'null');
    caller.send({ type: 'cancel', id: 1, reason: 'timeout' });
    expect(await reasons.next()).toMatchObject({ code: ErrorCode.TIMEOUT });
    caller.send({ type: 'request', id: 2, method: 'slow.op' }, 'null');
    caller.send({ type: 'cancel', id: 2 });
    expect(await reasons.next()).toMatchObject({ code: ErrorCode.REQUEST_CANCELLED });
    caller.send({ type: 'request', id: 3, method: 'slow.op' }, 'null');
    caller.send({ type: 'cancel', id: 3, reason: 'cancelled' });
    const reason = await reasons.next();
    expect(reason).toBeInstanceOf(HeraldError);
    expect(reason).toMatchObject({ code: ErrorCode.REQUEST_CANCELLED });
    // The caller gave up: no reply comes for any of them.
    expect(await caller.drain()).toEqual([]);
  });

  it('the router tells a provider timeout, cancelled or caller_gone', async () => {
    await using router = await startRouter();
    await using provider = await RawClient.welcomed(router.url, { name: 'py' }, { protocols: ['herald.v1.json'] });
    provider.send({ type: 'handle', id: 1, method: 'slow.op' });
    expect(await provider.next()).toEqual({ type: 'handled', id: 1, method: 'slow.op' });
    const sent: string[] = [];
    await using caller = await connect(router.url, { name: 'caller', WebSocket: recordingWebSocket(sent) });

    // Timeout: the caller's timer and the router's run out together; the provider hears `timeout` once.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const timedOut = rejection(caller.request('slow.op', 1, { timeout: 500 }));
    const first = await provider.nextOf('request');
    await vi.advanceTimersByTimeAsync(500);
    expect(await timedOut).toMatchObject({ code: ErrorCode.TIMEOUT });
    expect(await provider.next()).toEqual({ type: 'cancel', id: first.id, reason: 'timeout' });
    vi.useRealTimers();
    expect(sent.filter((frame) => frame.startsWith('{"type":"cancel"'))).toEqual([expect.stringContaining('"reason":"timeout"')]);

    // Cancel: the caller's AbortSignal.
    const controller = new AbortController();
    const cancelled = rejection(caller.request('slow.op', 2, { signal: controller.signal }));
    const second = await provider.nextOf('request');
    controller.abort();
    expect(await cancelled).toMatchObject({ code: ErrorCode.REQUEST_CANCELLED });
    expect(await provider.next()).toEqual({ type: 'cancel', id: second.id, reason: 'cancelled' });

    // Caller gone: its connection closed.
    void caller.request('slow.op', 3).catch(() => undefined);
    const third = await provider.nextOf('request');
    await caller.close();
    expect(await provider.next()).toEqual({ type: 'cancel', id: third.id, reason: 'caller_gone' });
    expect(await provider.drain()).toEqual([]);
  });

  it('router.request’s own timeout and signal reach a Herald provider as TIMEOUT and REQUEST_CANCELLED', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    const reasons = await hangingProvider(provider);
    const controller = new AbortController();
    const cancelled = rejection(router.request('slow.op', null, { signal: controller.signal }));
    await provider.ping(); // the request reached the provider before the abort
    controller.abort();
    expect(await cancelled).toMatchObject({ code: ErrorCode.REQUEST_CANCELLED });
    expect(await reasons.next()).toMatchObject({ code: ErrorCode.REQUEST_CANCELLED });
  });
});
