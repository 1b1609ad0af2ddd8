/**
 * In-band refresh and expiry on the router: permissions swap at once, what they no longer allow
 * ends with `revoked`, a refused refresh keeps the old credentials, and an unrefreshed connection
 * is closed 4101 past its expiry and the grace (fake timers).
 */
import { CloseCode, ErrorCode } from '@herald/protocol';
import { Log, RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext, Identity, Permissions } from '../src/index.js';

const WIDE: Permissions = { allow: { 'sensors.>': ['subscribe', 'presence', 'watch'], 'svc.>': ['handle'], 'user.{user}.>': ['*'] } };
const NARROW: Permissions = { allow: { 'sensors.kitchen.>': ['subscribe'], 'user.{user}.>': ['*'] } };

/** Tokens are `<user>:<wide|narrow|bad>[:<expiresAt>]`. */
function authenticate(ctx: AuthContext): Identity {
  const [user, level, expires] = (ctx.token ?? '').split(':');
  if (user === undefined || user === '' || (level !== 'wide' && level !== 'narrow')) throw new Error('refused');
  return { user, permissions: level === 'wide' ? WIDE : NARROW, ...(expires !== undefined && { expiresAt: Number(expires) }) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('refresh', () => {
  it('swaps the permissions at once and revokes what they no longer allow', async () => {
    await using router = await startRouter({ authenticate });
    const unsubscribes = new Log<string>();
    router.on('unsubscribe', (_client, pattern) => unsubscribes.push(pattern));
    await using alice = await RawClient.welcomed(router.url, { token: 'alice:wide' });
    alice.send({ type: 'subscribe', id: 1, pattern: 'sensors.>' });
    alice.send({ type: 'subscribe', id: 2, pattern: 'sensors.kitchen.temp' });
    alice.send({ type: 'presence_watch', id: 3, topic: 'sensors.kitchen.temp' });
    alice.send({ type: 'handle', id: 4, method: 'svc.stats' });
    for (const type of ['subscribed', 'subscribed', 'presence_state', 'handled'] as const) expect((await alice.next()).type).toBe(type);
    expect((await router.presence('sensors.kitchen.temp')).map((m) => m.user)).toStrictEqual(['alice']);

    alice.send({ type: 'refresh', id: 5, token: 'alice:narrow' });
    expect(await alice.next()).toStrictEqual({ type: 'refreshed', id: 5 });
    const revoked = [await alice.next(), await alice.next(), await alice.next()];
    expect(revoked).toStrictEqual([
      { type: 'revoked', operation: 'watch', subject: 'sensors.kitchen.temp', reason: 'permission_revoked' },
      { type: 'revoked', operation: 'handle', subject: 'svc.stats', reason: 'permission_revoked' },
      { type: 'revoked', operation: 'subscribe', subject: 'sensors.>', reason: 'permission_revoked' },
    ]);
    expect(await unsubscribes.until(1)).toStrictEqual(['sensors.>']);
    // still subscribed to what stays allowed, but no longer a presence member of it
    expect(router.clients()[0]!.subscriptions).toStrictEqual(['sensors.kitchen.temp']);
    expect(await router.presence('sensors.kitchen.temp')).toStrictEqual([]);
    expect(router.methods()).toStrictEqual([]);
    await router.publish('sensors.kitchen.temp', 1);
    await router.publish('sensors.hall.temp', 2);
    expect(await alice.drain()).toMatchObject([{ type: 'message', topic: 'sensors.kitchen.temp' }]);
    // new operations are checked against the new permissions
    alice.send({ type: 'subscribe', id: 6, pattern: 'sensors.hall.temp' });
    expect(await alice.next()).toMatchObject({ type: 'error', id: 6, code: ErrorCode.PERMISSION_DENIED });
  });

  it('a refused refresh (bad token, another user) answers TOKEN_INVALID and keeps the old permissions', async () => {
    await using router = await startRouter({ authenticate });
    await using alice = await RawClient.subscribed(router.url, 'sensors.>', { token: 'alice:wide' });
    alice.send({ type: 'refresh', id: 2, token: 'alice:bad' });
    expect(await alice.next()).toMatchObject({ type: 'error', id: 2, code: ErrorCode.TOKEN_INVALID });
    alice.send({ type: 'refresh', id: 3, token: 'bob:narrow' });
    expect(await alice.next()).toMatchObject({ type: 'error', id: 3, code: ErrorCode.TOKEN_INVALID });
    expect(router.clients()).toMatchObject([{ user: 'alice', subscriptions: ['sensors.>'] }]);
  });

  it('is rate-limited: past the burst RATE_LIMITED with retryAfterMs, authenticate not run, old credentials kept', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let runs = 0;
    const counted = (ctx: AuthContext): Identity => {
      runs++;
      return authenticate(ctx);
    };
    await using router = await startRouter({ authenticate: counted, limits: { refreshes: { perSec: 1, burst: 3 }, strikes: false } });
    await using alice = await RawClient.subscribed(router.url, 'sensors.>', { token: 'alice:wide' });
    expect(runs).toBe(1); // the hello
    for (let id = 1; id <= 5; id++) alice.send({ type: 'refresh', id, token: id % 2 === 0 ? 'alice:bad' : 'alice:wide' });
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await alice.next());
    frames.sort((a, b) => ((a as { id: number }).id) - ((b as { id: number }).id));
    expect(frames.slice(0, 3).map((f) => ('code' in f ? f.code : f.type))).toStrictEqual(['refreshed', ErrorCode.TOKEN_INVALID, 'refreshed']);
    expect(frames.slice(3)).toStrictEqual([4, 5].map((id) => ({ type: 'error', id, code: ErrorCode.RATE_LIMITED, message: expect.any(String), retryAfterMs: 1000 })));
    expect(runs).toBe(4); // the hello and the three refreshes within the burst, refused or not
    vi.advanceTimersByTime(1000);
    alice.send({ type: 'refresh', id: 6, token: 'alice:wide' });
    expect(await alice.next()).toStrictEqual({ type: 'refreshed', id: 6 });
    expect(runs).toBe(5);
  });

  it('on a router without authenticate, refresh answers TOKEN_INVALID', async () => {
    await using router = await startRouter();
    await using client = await RawClient.welcomed(router.url);
    client.send({ type: 'refresh', id: 1, token: 'x' });
    expect(await client.next()).toMatchObject({ type: 'error', id: 1, code: ErrorCode.TOKEN_INVALID });
  });
});

describe('expiry', () => {
  it('closes an unrefreshed connection with 4101 once past expiresAt and the grace, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    await using router = await startRouter({ authenticate, tokenExpiryGraceMs: 5_000 });
    const expiresAt = Date.now() + 60_000;
    const alice = await RawClient.welcomed(router.url, { token: `alice:wide:${expiresAt}` });
    expect(alice.welcome?.expiresAt).toBe(expiresAt);
    await vi.advanceTimersByTimeAsync(64_999);
    expect(await alice.drain()).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await alice.closed).toMatchObject({ code: CloseCode.TOKEN_EXPIRED });
  });

  it('a refresh moves the expiry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    await using router = await startRouter({ authenticate, tokenExpiryGraceMs: 5_000 });
    const alice = await RawClient.welcomed(router.url, { token: `alice:wide:${Date.now() + 60_000}` });
    await vi.advanceTimersByTimeAsync(50_000);
    const later = Date.now() + 60_000;
    alice.send({ type: 'refresh', id: 1, token: `alice:wide:${later}` });
    expect(await alice.next()).toStrictEqual({ type: 'refreshed', id: 1, expiresAt: later });
    await vi.advanceTimersByTimeAsync(64_999);
    expect(await alice.drain()).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect((await alice.closed).code).toBe(CloseCode.TOKEN_EXPIRED);
  });
});
