/**
 * The admin page's API over real HTTP (the page itself is tested in Chromium: e2e/tests/admin.spec.ts):
 * the token is required, the state lists what the router holds, and disconnect cuts a client.
 */
import { connect } from '@herald/client';
import { HeraldError } from '@herald/protocol';
import { expectError, rejection, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { ADMIN_PERMISSION_SUBJECT, type AdminState, type AuthContext, type Identity } from '../src/index.js';

const TOKEN = 'an-admin-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('admin', () => {
  it('refuses the API without the token or with a wrong one (401); serves the page itself with a CSP', async () => {
    await using router = await startRouter({ admin: { token: TOKEN } });
    expect(router.adminUrl).toBe(`${router.url.replace(/^ws/, 'http').replace(/\/$/, '')}/admin`);
    const api = `${router.adminUrl}/api/state`;
    expect((await fetch(api)).status).toBe(401);
    const wrong = await fetch(api, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'ADMIN_UNAUTHORIZED' });
    expect((await fetch(`${router.adminUrl}/api/disconnect`, { method: 'POST', body: '{"id":"x"}' })).status).toBe(401);
    const page = await fetch(router.adminUrl!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(await page.text()).toContain("const API = '/admin/api/'");
  });

  it('lists clients with names and addresses, topics with rates and history, presence and methods', async () => {
    await using router = await startRouter({ admin: { token: TOKEN } });
    await using kirk = await connect(router.url, { name: 'Kirk', info: { rank: 'captain', since: new Date(0) }, reconnect: false });
    await using spock = await connect(router.url, { name: 'Spock', reconnect: false });
    await kirk.subscribe('bridge.>');
    await spock.subscribe('bridge.>');
    await spock.handle('science.scan', () => 'done');
    for (let i = 0; i < 3; i++) await spock.publish('bridge.log', i);
    await kirk.publish('bridge.chat', 'hi');
    const state = (await (await fetch(`${router.adminUrl}/api/state`, { headers: auth })).json()) as AdminState;
    expect(state.router).toMatchObject({ name: 'router', engineAvailable: true, stats: { connections: 2, publications: 4 } });
    expect(state.clients.map((c) => [c.name, c.address, c.subscriptions])).toStrictEqual([
      ['Kirk', '127.0.0.1', ['bridge.>']],
      ['Spock', '127.0.0.1', ['bridge.>']],
    ]);
    expect(state.clients[0]!.info).toBe('{"rank":"captain","since":"1970-01-01T00:00:00.000Z"}');
    expect(state.topics.map((t) => [t.topic, t.published, t.history])).toStrictEqual([
      ['bridge.log', 3, 3],
      ['bridge.chat', 1, 1],
    ]);
    expect(state.topics[0]!.ratePerSec).toBeGreaterThan(state.topics[1]!.ratePerSec);
    expect(state.presence).toStrictEqual([{ topic: 'bridge.>', members: [{ id: kirk.id, name: 'Kirk' }, { id: spock.id, name: 'Spock' }] }]);
    expect(state.methods).toStrictEqual([{ method: 'science.scan', providers: [{ id: spock.id, name: 'Spock' }] }]);
  });

  it('disconnects a client by id: it closes with 1000 and does not come back', async () => {
    await using router = await startRouter({ admin: { token: TOKEN } });
    await using kirk = await connect(router.url, { name: 'Kirk' });
    const closed = new Promise<number | undefined>((resolve) => kirk.on('statechange', (c) => c.to === 'closed' && resolve(c.code)));
    const post = (id: unknown) => fetch(`${router.adminUrl}/api/disconnect`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ id }) });
    const response = await post(kirk.id);
    expect(response.status).toBe(200);
    expect(await response.json()).toStrictEqual({ disconnected: true });
    expect(await closed).toBe(1000);
    expect((await post(kirk.id)).status).toBe(404);
    expect((await post(42)).status).toBe(400);
  });

  it('refuses a short token at createRouter', async () => {
    expectError(await rejection(startRouter({ admin: { token: 'short' } })), HeraldError, 'OPTION_INVALID');
    // No token at all: only a router with authenticate has another way in.
    expectError(await rejection(startRouter({ admin: {} })), HeraldError, 'OPTION_INVALID');
  });

  it('with authenticate: a bearer identity allowed to call herald.admin gets in; others, expired ones and refused ones get 401', async () => {
    const identities: Record<string, Identity> = {
      ops: { user: 'ops', permissions: { allow: { [ADMIN_PERMISSION_SUBJECT]: ['call'] } } },
      root: { user: 'root', permissions: { allow: { '>': ['*'] } } },
      denied: { user: 'denied', permissions: { allow: { '>': ['*'] }, deny: { 'herald.>': ['call'] } } },
      reader: { user: 'reader', permissions: { allow: { 'sensors.>': ['subscribe'] } } },
      expired: { user: 'old', permissions: { allow: { '>': ['*'] } }, expiresAt: Date.now() - 1000 },
    };
    const authenticate = (ctx: AuthContext): Identity => {
      const identity = ctx.token === undefined ? undefined : identities[ctx.token];
      if (identity === undefined) throw new Error('refused');
      return identity;
    };
    await using router = await startRouter({ authenticate, admin: {} });
    const status = async (bearer: string) => (await fetch(`${router.adminUrl}/api/state`, { headers: { authorization: `Bearer ${bearer}` } })).status;
    expect([await status('ops'), await status('root')]).toStrictEqual([200, 200]);
    expect([await status('denied'), await status('reader'), await status('expired'), await status('forged'), await status('')]).toStrictEqual([401, 401, 401, 401, 401]);
    expect((await fetch(`${router.adminUrl}/api/state`)).status).toBe(401);
    // The token option still works beside authenticate.
    await using both = await startRouter({ authenticate, admin: { token: TOKEN } });
    expect((await fetch(`${both.adminUrl}/api/state`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${both.adminUrl}/api/state`, { headers: { authorization: 'Bearer ops' } })).status).toBe(200);
  });
});
