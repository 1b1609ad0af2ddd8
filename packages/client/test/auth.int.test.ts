/**
 * The client's side of authentication (issue 12): a token function called before every
 * connection attempt and before expiry (in-band refresh, fake timers), a fresh token after an
 * authentication close and a bound on refusals in a row, and what a refresh revokes.
 */
import { CloseCode, ErrorCode, HeraldError } from '@herald/protocol';
import { Log, expectError, reachState, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StateChange, connect } from '../src/index.js';

// The server's types, through the testkit (the client package does not depend on the server's).
type RouterOptions = NonNullable<Parameters<typeof startRouter>[0]>;
type AuthContext = Parameters<NonNullable<RouterOptions['authenticate']>>[0];
type Identity = Awaited<ReturnType<NonNullable<RouterOptions['authenticate']>>>;
type Permissions = Identity['permissions'];

afterEach(() => {
  vi.useRealTimers();
});

const WIDE: Permissions = { allow: { 'sensors.>': ['subscribe', 'watch', 'publish'], 'svc.>': ['handle'] } };
const NARROW: Permissions = { allow: { 'sensors.kitchen.>': ['subscribe'] } };

/** A router whose tokens are `<user>:<n>`; `accept(ctx)` decides, `seen` records every context. */
async function authRouter(accept: (ctx: AuthContext, n: number) => Identity | undefined) {
  const seen = new Log<AuthContext>();
  const router = await startRouter({
    tokenExpiryGraceMs: 5_000,
    authenticate: (ctx) => {
      seen.push(ctx);
      const identity = accept(ctx, Number((ctx.token ?? '').split(':')[1]));
      if (identity === undefined) throw new Error('refused');
      return identity;
    },
  });
  return { router, seen };
}

/** A token function that hands out `alice:1`, `alice:2`... and counts its calls. */
function tokens() {
  let n = 0;
  return { calls: () => n, token: async () => `alice:${++n}` };
}

describe('token', () => {
  it('a string token goes in the hello', async () => {
    const { router, seen } = await authRouter(() => ({ user: 'alice', permissions: WIDE }));
    await using _router = router;
    await using client = await connect(router.url, { token: 'alice:0' });
    expect(seen.values.map((ctx) => ctx.token)).toStrictEqual(['alice:0']);
    expect(router.clients()).toMatchObject([{ user: 'alice' }]);
    expect(client.state).toBe('open');
  });

  it('a token function is called before every connection attempt', async () => {
    const { router, seen } = await authRouter(() => ({ user: 'alice', permissions: WIDE }));
    await using _router = router;
    const { token, calls } = tokens();
    await using client = await connect(router.url, { token, random: () => 0 });
    router.disconnect(client.id, { terminate: true });
    await reachState(client, 'reconnecting');
    await reachState(client, 'open');
    expect(calls()).toBe(2);
    expect(seen.values.map((ctx) => ctx.token)).toStrictEqual(['alice:1', 'alice:2']);
  });

  it('after an authentication close, a fresh token; after maxAuthFailures refusals in a row, it stops', async () => {
    let accepting = true;
    const { router, seen } = await authRouter(() => (accepting ? { user: 'alice', permissions: WIDE } : undefined));
    await using _router = router;
    const { token, calls } = tokens();
    await using client = await connect(router.url, { token, random: () => 0, maxAuthFailures: 2 });
    const changes = new Log<StateChange>();
    client.on('statechange', changes.push);
    accepting = false;
    router.disconnectUser('alice');
    const closed = await reachState<StateChange>(client, 'closed');
    expect(closed.reason).toBe('reconnect_failed');
    // the first connection, then two refused attempts, each with a fresh token
    expect(calls()).toBe(3);
    expect(seen.values.map((ctx) => ctx.token)).toStrictEqual(['alice:1', 'alice:2', 'alice:3']);
    expect(changes.values[0]).toMatchObject({ to: 'reconnecting', code: CloseCode.AUTH_REVOKED });
  });

  it('a string token is not retried after an authentication close', async () => {
    const { router } = await authRouter(() => ({ user: 'alice', permissions: WIDE }));
    await using _router = router;
    await using client = await connect(router.url, { token: 'alice:0', random: () => 0 });
    router.disconnectUser('alice', { reason: 'gone' });
    const closed = await reachState<StateChange>(client, 'closed');
    expect(closed).toMatchObject({ reason: 'router_closed', code: CloseCode.AUTH_REVOKED });
  });

  it('a refused first connection rejects connect with AUTH_INVALID', async () => {
    const { router } = await authRouter(() => undefined);
    await using _router = router;
    const error = await connect(router.url, { token: 'x' }).catch((e: unknown) => e);
    expectError(error, HeraldError, ErrorCode.AUTH_INVALID);
  });
});

describe('refresh before expiry (fake timers)', () => {
  it('refreshes in band before expiresAt, again and again, without reconnecting', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { router, seen } = await authRouter(() => ({ user: 'alice', permissions: WIDE, expiresAt: Date.now() + 60_000 }));
    await using _router = router;
    const { token } = tokens();
    await using client = await connect(router.url, { token });
    const changes = new Log<StateChange>();
    client.on('statechange', changes.push);
    // lifetime 60 s: refreshed 30 s before expiry
    await vi.advanceTimersByTimeAsync(29_999);
    expect(seen.values).toHaveLength(1);
    for (let n = 2; n <= 8; n++) {
      await vi.advanceTimersByTimeAsync(n === 2 ? 1 : 30_000);
      await seen.until(n);
      await client.ping(); // the router answers frames in order: the refreshed reply came first
    }
    expect(seen.values.slice(1).map((ctx) => [ctx.reason, ctx.token])).toStrictEqual(
      [2, 3, 4, 5, 6, 7, 8].map((n) => ['refresh', `alice:${n}`]),
    );
    expect(changes.values).toStrictEqual([]);
    expect(router.clients()).toHaveLength(1);
  });

  it('a refused refresh is reported; at expiry the router closes 4101 and the client reconnects with a fresh token', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { router, seen } = await authRouter((ctx) => (ctx.reason === 'refresh' ? undefined : { user: 'alice', permissions: WIDE, expiresAt: Date.now() + 60_000 }));
    await using _router = router;
    const { token } = tokens();
    await using client = await connect(router.url, { token, random: () => 0 });
    const errors = new Log<HeraldError>();
    client.on('error', errors.push);
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await errors.until(1))[0]!.code).toBe(ErrorCode.TOKEN_INVALID);
    const down = reachState<StateChange>(client, 'reconnecting');
    await vi.advanceTimersByTimeAsync(35_000);
    expect((await down).code).toBe(CloseCode.TOKEN_EXPIRED);
    await vi.advanceTimersByTimeAsync(0);
    await reachState(client, 'open');
    expect(seen.values.map((ctx) => [ctx.reason, ctx.token])).toStrictEqual([
      ['hello', 'alice:1'],
      ['refresh', 'alice:2'],
      ['hello', 'alice:3'],
    ]);
  });

  it('what the refreshed permissions no longer allow ends with PERMISSION_DENIED', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { router } = await authRouter((_ctx, n) => ({ user: 'alice', permissions: n === 1 ? WIDE : NARROW, expiresAt: Date.now() + 60_000 }));
    await using _router = router;
    const { token } = tokens();
    await using client = await connect(router.url, { token });
    const errors = new Log<HeraldError>();
    client.on('error', errors.push);
    const wide = await client.subscribe('sensors.>');
    const kitchen = await client.subscribe('sensors.kitchen.temp');
    const presence = await client.presence('sensors.kitchen.temp');
    await client.handle('svc.stats', () => 1);
    const ended = (async () => {
      try {
        for await (const _ of wide) {
          // no messages expected
        }
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    await vi.advanceTimersByTimeAsync(30_000);
    expectError(await ended, HeraldError, ErrorCode.PERMISSION_DENIED);
    expect(wide.state).toBe('unsubscribed');
    expect(kitchen.state).toBe('subscribed');
    await errors.until(3);
    expect(errors.values.map((e) => e.code)).toStrictEqual([ErrorCode.PERMISSION_DENIED, ErrorCode.PERMISSION_DENIED, ErrorCode.PERMISSION_DENIED]);
    expect(presence.isOpen).toBe(false);
    expect(router.methods()).toStrictEqual([]);
  });
});
