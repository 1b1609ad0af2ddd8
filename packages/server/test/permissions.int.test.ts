/**
 * Identity and permissions against a real router: every operation allowed and denied, for literal
 * topics, patterns, interpolation and deny rules; identity carried everywhere; Origin checks.
 */
import { ConnectionError, ErrorCode, HeraldError, connect } from '@herald/client';
import { CloseCode } from '@herald/protocol';
import { Log, RawClient, expectError, rejection, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AuthContext, Identity, Permissions } from '../src/index.js';

const PERMISSIONS: Permissions = {
  allow: {
    'sensors.>': ['subscribe', 'history', 'watch', 'presence'],
    'sensors.*.temp': ['publish'],
    'chat.>': ['subscribe'],
    'user.{user}.>': ['*'],
    'api.>': ['call'],
    'svc.{user}.>': ['handle'],
  },
  deny: { 'sensors.secret.>': ['*'] },
};

/** Tokens are `u:<user>`; anything else is refused. */
function authenticate({ token }: AuthContext): Identity {
  if (token === undefined || !token.startsWith('u:')) throw new Error('bad token');
  return { user: token.slice(2), permissions: PERMISSIONS };
}

type Case = [what: string, message: Record<string, unknown>, payload: string | undefined, allowed: string | [operation: string, subject: string]];

const CASES: Case[] = [
  ['publish, literal rule', { type: 'publish', id: 1, topic: 'sensors.kitchen.temp' }, '{"json":1}', 'publish_ack'],
  ['publish, no rule', { type: 'publish', id: 1, topic: 'sensors.kitchen.humidity' }, '{"json":1}', ['publish', 'sensors.kitchen.humidity']],
  ['publish, deny rule', { type: 'publish', id: 1, topic: 'sensors.secret.temp' }, '{"json":1}', ['publish', 'sensors.secret.temp']],
  ['publish, interpolated', { type: 'publish', id: 1, topic: 'user.alice.notes' }, '{"json":1}', 'publish_ack'],
  ['publish, another user', { type: 'publish', id: 1, topic: 'user.bob.notes' }, '{"json":1}', ['publish', 'user.bob.notes']],
  ['subscribe, literal', { type: 'subscribe', id: 1, pattern: 'sensors.kitchen.temp' }, undefined, 'subscribed'],
  ['subscribe, covered pattern', { type: 'subscribe', id: 1, pattern: 'sensors.kitchen.>' }, undefined, 'subscribed'],
  ['subscribe, pattern meeting a deny', { type: 'subscribe', id: 1, pattern: 'sensors.>' }, undefined, ['subscribe', 'sensors.>']],
  ['subscribe, * meeting a deny', { type: 'subscribe', id: 1, pattern: 'sensors.*.temp' }, undefined, ['subscribe', 'sensors.*.temp']],
  ['subscribe, interpolated', { type: 'subscribe', id: 1, pattern: 'user.alice.>' }, undefined, 'subscribed'],
  ['subscribe, every user', { type: 'subscribe', id: 1, pattern: 'user.*.>' }, undefined, ['subscribe', 'user.*.>']],
  ['subscribe, everything', { type: 'subscribe', id: 1, pattern: '>' }, undefined, ['subscribe', '>']],
  ['rewind, history allowed', { type: 'subscribe', id: 1, pattern: 'sensors.hall.temp', rewind: 5 }, undefined, 'subscribed'],
  ['rewind, history not allowed', { type: 'subscribe', id: 1, pattern: 'chat.lobby', rewind: 5 }, undefined, ['history', 'chat.lobby']],
  ['recovery, history not allowed', { type: 'subscribe', id: 1, pattern: 'chat.lobby', since: 0 }, undefined, ['history', 'chat.lobby']],
  ['watch, allowed', { type: 'presence_watch', id: 1, topic: 'sensors.hall.temp' }, undefined, 'presence_state'],
  ['watch, not allowed', { type: 'presence_watch', id: 1, topic: 'chat.lobby' }, undefined, ['watch', 'chat.lobby']],
  ['watch, denied', { type: 'presence_watch', id: 1, topic: 'sensors.secret.key' }, undefined, ['watch', 'sensors.secret.key']],
  ['handle, interpolated', { type: 'handle', id: 1, method: 'svc.alice.stats' }, undefined, 'handled'],
  ['handle, another user', { type: 'handle', id: 1, method: 'svc.bob.stats' }, undefined, ['handle', 'svc.bob.stats']],
  ['handle, call-only method', { type: 'handle', id: 1, method: 'api.stats' }, undefined, ['handle', 'api.stats']],
  ['call, allowed (nobody serves it)', { type: 'request', id: 1, method: 'api.stats' }, '{"json":null}', 'error:NO_HANDLER'],
  ['call, the router’s admin method', { type: 'request', id: 1, method: 'admin.reset' }, '{"json":null}', ['call', 'admin.reset']],
];

describe('permissions, operation by operation', () => {
  it.each(CASES)('%s', async (_what, message, payload, expected) => {
    await using router = await startRouter({ authenticate });
    await using alice = await RawClient.welcomed(router.url, { token: 'u:alice' });
    alice.send(message, payload);
    const reply = await alice.next();
    if (Array.isArray(expected)) {
      const [operation, subject] = expected;
      expect(reply).toEqual({ type: 'error', id: 1, code: ErrorCode.PERMISSION_DENIED, message: expect.any(String), operation, subject });
      // the connection stays
      expect(await alice.drain()).toStrictEqual([]);
    } else if (expected.startsWith('error:')) {
      expect(reply).toMatchObject({ type: 'error', id: 1, code: expected.slice(6) });
    } else {
      expect(reply.type).toBe(expected);
    }
  });

  it('a denied fire-and-forget publish reaches nobody and is answered without an id', async () => {
    await using router = await startRouter({ authenticate });
    const seen = new Log<string>();
    await router.subscribe('>', (_data, meta) => seen.push(meta.topic));
    await using alice = await RawClient.welcomed(router.url, { token: 'u:alice' });
    alice.send({ type: 'publish', topic: 'sensors.secret.temp' }, '{"json":1}');
    alice.send({ type: 'publish', topic: 'sensors.kitchen.temp' }, '{"json":2}');
    expect(await alice.next()).toMatchObject({ type: 'error', code: ErrorCode.PERMISSION_DENIED, operation: 'publish' });
    expect(await seen.until(1)).toStrictEqual(['sensors.kitchen.temp']);
  });

  it('subscribing without the presence operation delivers but does not join presence', async () => {
    await using router = await startRouter({ authenticate });
    await using alice = await RawClient.subscribed(router.url, 'chat.lobby', { token: 'u:alice' });
    await using bob = await RawClient.subscribed(router.url, 'sensors.hall.temp', { token: 'u:bob' });
    expect(await router.presence('chat.lobby')).toStrictEqual([]);
    expect((await router.presence('sensors.hall.temp')).map((m) => m.user)).toStrictEqual(['bob']);
    await router.publish('chat.lobby', 'hi');
    expect(await alice.next()).toMatchObject({ type: 'message', topic: 'chat.lobby' });
  });

  it('list_methods lists only what the caller may call', async () => {
    await using router = await startRouter({ authenticate });
    await router.handle('admin.reset', () => 'reset');
    await router.handle('api.stats', () => 1);
    await using alice = await RawClient.welcomed(router.url, { token: 'u:alice' });
    alice.send({ type: 'list_methods', id: 1 });
    expect(await alice.next()).toMatchObject({ type: 'methods', methods: [{ method: 'api.stats' }] });
  });

  it('without authenticate, defaultPermissions apply to everyone', async () => {
    await using router = await startRouter({ defaultPermissions: { allow: { 'public.>': ['*'] } } });
    await using client = await connect(router.url);
    await client.publish('public.news', 1);
    expectError(await rejection(client.publish('private.x', 1)), HeraldError, ErrorCode.PERMISSION_DENIED);
    expectError(await rejection(client.subscribe('>', () => {})), HeraldError, ErrorCode.PERMISSION_DENIED);
    expect(client.state).toBe('open');
  });
});

describe('identity', () => {
  it('the verified user is in welcome, messages, presence, callers and clients(); the hello name is ignored', async () => {
    await using router = await startRouter({ authenticate });
    await using alice = await RawClient.welcomed(router.url, { token: 'u:alice', name: 'router' });
    expect(alice.welcome).toMatchObject({ user: 'alice', name: 'alice' });
    expect(router.clients()).toMatchObject([{ user: 'alice', name: 'alice' }]);

    await using bob = await RawClient.subscribed(router.url, 'sensors.hall.temp', { token: 'u:bob' });
    alice.send({ type: 'publish', id: 2, topic: 'user.alice.x' }, '{"json":1}');
    expect(await alice.next()).toMatchObject({ type: 'publish_ack' });
    const metas = new Log<unknown>();
    await router.subscribe('user.>', (_data, meta) => metas.push(meta.publisher));
    alice.send({ type: 'publish', id: 3, topic: 'user.alice.y' }, '{"json":1}');
    expect(await metas.until(1)).toStrictEqual([{ id: alice.welcome!.id, name: 'alice', user: 'alice' }]);

    alice.send({ type: 'presence_watch', id: 4, topic: 'sensors.hall.temp' });
    await alice.nextOf('publish_ack');
    const state = await alice.nextOf('presence_state');
    // presence per user, the default with authenticate: the member is the user, with its connections
    expect(state.members).toMatchObject([{ id: 'bob', name: 'bob', user: 'bob', connections: [bob.welcome!.id] }]);

    const callers = new Log<unknown>();
    await router.handle('api.whoami', (_params, ctx) => {
      callers.push(ctx.caller);
      return ctx.caller.user;
    });
    alice.send({ type: 'request', id: 5, method: 'api.whoami' }, '{"json":null}');
    expect(await alice.nextOf('response')).toMatchObject({ payload: '{"json":"alice"}' });
    expect(callers.values).toMatchObject([{ user: 'alice', name: 'alice' }]);
  });

  it('authenticate may name the connection; the client cannot', async () => {
    await using router = await startRouter({ authenticate: (ctx) => ({ user: 'u1', name: `Kirk (${String(ctx.name)})`, info: { role: 'captain' }, permissions: PERMISSIONS }) });
    await using client = await connect(router.url, { name: 'Spock', info: { role: 'admin' } });
    expect(router.clients()).toMatchObject([{ user: 'u1', name: 'Kirk (Spock)', info: { role: 'captain' } }]);
    expect(client.name).toBe('Kirk (Spock)');
  });

  it('refused credentials close with 4100 AUTH_INVALID; expired ones with 4101 TOKEN_EXPIRED', async () => {
    await using router = await startRouter({
      authenticate: (ctx) => (ctx.token === 'old' ? { user: 'a', permissions: PERMISSIONS, expiresAt: Date.now() - 60_000 } : authenticate(ctx)),
    });
    const refused = await RawClient.open(router.url);
    refused.send({ type: 'hello', token: 'nope' });
    const closed = await refused.untilClosed();
    expect(closed.frames).toStrictEqual([]);
    expect(closed.close.code).toBe(CloseCode.AUTH_INVALID);
    expect(closed.close.reason).toMatch(/^AUTH_INVALID: /);

    const expired = await RawClient.open(router.url);
    expired.send({ type: 'hello', token: 'old' });
    expect((await expired.untilClosed()).close.code).toBe(CloseCode.TOKEN_EXPIRED);

    const error = await rejection(connect(router.url, { token: 'nope', reconnect: false }));
    expect(expectError(error, ConnectionError, ErrorCode.AUTH_INVALID).closeCode).toBe(CloseCode.AUTH_INVALID);
  });

  it('an identity that breaks the rules (no user) refuses the connection and logs an error', async () => {
    const lines: string[] = [];
    await using router = await startRouter({
      authenticate: () => ({ user: '', permissions: PERMISSIONS }),
      logger: { log: (level) => lines.push(level) },
    });
    const client = await RawClient.open(router.url);
    client.send({ type: 'hello', token: 'x' });
    expect((await client.untilClosed()).close.code).toBe(CloseCode.AUTH_INVALID);
    expect(lines).toContain('error');
  });

  it('disconnectUser closes every connection of that user with 4102, and only those', async () => {
    await using router = await startRouter({ authenticate });
    const tab1 = await RawClient.welcomed(router.url, { token: 'u:alice' });
    const tab2 = await RawClient.welcomed(router.url, { token: 'u:alice' });
    await using bob = await RawClient.welcomed(router.url, { token: 'u:bob' });
    expect(router.disconnectUser('alice', { reason: 'fired' })).toBe(2);
    for (const tab of [tab1, tab2]) expect(await tab.closed).toStrictEqual({ code: CloseCode.AUTH_REVOKED, reason: 'AUTH_REVOKED: fired' });
    expect(await bob.drain()).toStrictEqual([]);
    expect(router.disconnectUser('nobody')).toBe(0);
  });
});

/** A ws WebSocket that sends an Origin header (and cookies), as a browser page would. */
function browserFrom(origin: string, cookie?: string): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { origin, ...(cookie !== undefined && { cookie }) } });
    }
  } as typeof WebSocket;
}

describe('Origin', () => {
  it('an upgrade from an origin not allowed is refused with HTTP 403 ORIGIN_FORBIDDEN; allowed and Origin-less ones pass', async () => {
    await using router = await startRouter({ allowedOrigins: ['http://app.example'] });
    const error = await rejection(connect(router.url, { WebSocket: browserFrom('http://evil.example'), reconnect: false }));
    expectError(error, ConnectionError, ErrorCode.ORIGIN_FORBIDDEN);
    await using good = await connect(router.url, { WebSocket: browserFrom('http://app.example') });
    await using script = await connect(router.url);
    expect(router.clients()).toHaveLength(2);
  });

  it('authenticate may read cookies only on a router with allowedOrigins', async () => {
    const fromCookie = (ctx: AuthContext): Identity => {
      const session = ctx.cookies.session;
      if (session === undefined) throw new Error('no session');
      return { user: session, permissions: PERMISSIONS };
    };
    const lines: string[] = [];
    await using open = await startRouter({ authenticate: fromCookie, logger: { log: (level) => lines.push(level) } });
    const refused = await rejection(connect(open.url, { WebSocket: browserFrom('http://app.example', 'session=alice'), reconnect: false }));
    expectError(refused, ConnectionError, ErrorCode.AUTH_INVALID);
    expect(lines).toContain('error');

    await using checked = await startRouter({ authenticate: fromCookie, allowedOrigins: ['http://app.example'] });
    await using client = await connect(checked.url, { WebSocket: browserFrom('http://app.example', 'a=1; session=alice') });
    expect(checked.clients()).toMatchObject([{ user: 'alice' }]);
    expect(client.state).toBe('open');
  });

  it('the cookie header is not among the headers authenticate sees', async () => {
    const seen: AuthContext[] = [];
    await using router = await startRouter({
      allowedOrigins: ['http://app.example'],
      authenticate: (ctx) => {
        seen.push(ctx);
        return { user: 'u', permissions: PERMISSIONS };
      },
    });
    await using client = await connect(router.url, { WebSocket: browserFrom('http://app.example', 's=1'), token: 't' });
    expect(seen[0]).toMatchObject({ reason: 'hello', token: 't', origin: 'http://app.example', address: '127.0.0.1' });
    expect(seen[0]!.headers.cookie).toBeUndefined();
    expect({ ...seen[0]!.cookies }).toStrictEqual({ s: '1' });
  });
});

describe('the work budget of a permission check', () => {
  /** `*.*` is covered by `*.*` alone; each extra literal rule `k<i>.z` adds a branch to the walk. */
  const wide = (literals: number): Permissions => ({
    allow: { '*.*': ['subscribe'], ...Object.fromEntries(Array.from({ length: literals }, (_, i) => [`k${i}.z`, ['subscribe']])) },
  });

  it('checks within 10,000 steps as usual, and refuses past it with PERMISSION_DENIED (fail closed)', async () => {
    const byToken = (ctx: AuthContext): Identity => ({ user: ctx.token ?? 'x', permissions: wide(ctx.token === 'few' ? 100 : 5000) });
    await using router = await startRouter({ authenticate: byToken });
    await using few = await RawClient.welcomed(router.url, { token: 'few' });
    few.send({ type: 'subscribe', id: 1, pattern: '*.*' });
    expect(await few.next()).toMatchObject({ type: 'subscribed', id: 1 });
    await using many = await RawClient.welcomed(router.url, { token: 'many' });
    many.send({ type: 'subscribe', id: 1, pattern: '*.*' });
    expect(await many.next()).toMatchObject({ type: 'error', id: 1, code: ErrorCode.PERMISSION_DENIED, operation: 'subscribe', subject: '*.*' });
    many.send({ type: 'subscribe', id: 2, pattern: 'k7.z' }); // a literal stays cheap, and allowed
    expect(await many.next()).toMatchObject({ type: 'subscribed', id: 2 });
    expect(router.clients().map((c) => [c.user, c.subscriptions])).toStrictEqual([['few', ['*.*']], ['many', ['k7.z']]]);
  });
});
