/**
 * Options checked by hand or at the call rather than by `createRouter`'s table: the codec list,
 * `resumeSecret`, `admin.token`, the shapes of `host`, `path` and `allowedOrigins` (and
 * `metrics.host`, `admin.path`), `jwtAuthenticator`, `new MemoryEngine(...)`, history patterns,
 * and the router's per-call options (`request`'s timeout, `disconnect`'s code, `presenceCount`'s
 * `by`). Each bad value gets `OPTION_INVALID`; a secret never appears in the error.
 */
import { createServer } from 'node:http';
import { Server as NetServer } from 'node:net';
import { HeraldError, jsonCodec, patternProblem } from '@herald/protocol';
import { RawClient, expectError, optionCases, optionsAt, rejection, startRouter, thrown } from '@herald/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JWT_OPTION_RANGES, MEMORY_ENGINE_OPTION_RANGES, MemoryEngine, ROUTER_CALL_OPTION_RANGES, createRouter, jwtAuthenticator } from '../src/index.js';

function create(options: Record<string, unknown>): Promise<{ close(): Promise<void> }> {
  return createRouter({ listen: false, logger: false, ...options }) as Promise<{ close(): Promise<void> }>;
}

async function created(options: Record<string, unknown>): Promise<void> {
  await (await create(options)).close();
}

const SECRET_15 = 'fifteen-bytes!!';
const SECRET_16 = 'sixteen-bytes!!!';

describe('createRouter: options checked by hand', () => {
  it('codecs: an empty list or not a list is refused; one codec is taken', async () => {
    for (const codecs of [[], 'json', {}]) expectError(await rejection(create({ codecs })), HeraldError, 'OPTION_INVALID');
    await created({ codecs: [jsonCodec] });
  });

  it('resumeSecret: 15 bytes or a non-string is refused, 16 bytes (string or Uint8Array) taken; the secret is never in the error', async () => {
    for (const resumeSecret of [SECRET_15, new Uint8Array(15), '', 42, null, {}]) {
      const error = expectError(await rejection(create({ resumeSecret })), HeraldError, 'OPTION_INVALID');
      expect(error.message).not.toContain(SECRET_15);
    }
    await created({ resumeSecret: SECRET_16 });
    await created({ resumeSecret: new Uint8Array(16) });
  });

  it('admin.token: shorter than 16 characters, or none without authenticate, is refused; the token is never in the error', async () => {
    for (const admin of [{ token: SECRET_15 }, { token: '' }, { token: 1234567890123456 }, {}]) {
      const error = expectError(await rejection(create({ admin })), HeraldError, 'OPTION_INVALID');
      expect(error.message).not.toContain(SECRET_15);
    }
    await created({ admin: { token: SECRET_16 } });
  });

  it('history.pattern: a malformed pattern is refused, by the router and by a MemoryEngine', async () => {
    for (const pattern of ['', 'a..b', 'a.>.b', 7]) {
      const history = [{ pattern: 'ok.>', limit: 1, ttlMs: 1 }, { pattern, limit: 1, ttlMs: 1 }];
      expectError(await rejection(create({ history })), HeraldError, 'OPTION_INVALID');
      expectError(thrown(() => new MemoryEngine({ history } as never)), HeraldError, 'OPTION_INVALID');
    }
    await created({ history: [{ pattern: 'a.*.b', limit: 1, ttlMs: 1 }, { pattern: 'c.>', limit: 0, ttlMs: 0 }] });
  });
});

/** Values of the wrong type or shape for `host`, `path` and `allowedOrigins`, each refused with OPTION_INVALID. */
const REFUSED_SHAPES: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['an empty host (Node would listen on every interface)', { host: '' }],
  ['a host that is not a string', { host: 42 }],
  ['a null host', { host: null }],
  ['a host with a port', { host: '127.0.0.1:8080' }],
  ['a host with a scheme', { host: 'http://127.0.0.1' }],
  ['an IPv6 host in brackets', { host: '[::1]' }],
  ['a host with a space', { host: ' 127.0.0.1' }],
  ['an empty metrics.host', { metrics: { host: '' } }],
  ['an empty path', { path: '' }],
  ['a path without its leading /', { path: 'herald' }],
  ['a path with a query', { path: '/herald?v=1' }],
  ['a path with a fragment', { path: '/herald#x' }],
  ['a path with a space', { path: '/her ald' }],
  ['a path with a character a URL escapes', { path: '/é' }],
  ['a path that is not a string', { path: 7 }],
  ['an admin.path without its leading /', { admin: { token: 'sixteen-bytes!!!', path: 'admin' } }],
  ['allowedOrigins as one string (it was searched as a string)', { allowedOrigins: 'https://app.example.com' }],
  ['allowedOrigins as a function', { allowedOrigins: () => true }],
  ['allowedOrigins as a Set', { allowedOrigins: new Set(['https://app.example.com']) }],
  ['allowedOrigins null', { allowedOrigins: null }],
  ['an origin that is not a string', { allowedOrigins: [5] }],
  ['an origin with a trailing /', { allowedOrigins: ['https://app.example.com/'] }],
  ['an origin with a path', { allowedOrigins: ['https://app.example.com/app'] }],
  ['an origin without a scheme', { allowedOrigins: ['app.example.com'] }],
  ['the wildcard *', { allowedOrigins: ['*'] }],
  ['an origin in upper case (browsers send lower case)', { allowedOrigins: ['https://App.example.com'] }],
  ['an empty origin', { allowedOrigins: ['https://ok.example', ''] }],
];

describe('createRouter: host, path and allowedOrigins shapes', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(REFUSED_SHAPES)('refuses %s with OPTION_INVALID before anything listens', async (_label, options) => {
    const listen = vi.spyOn(NetServer.prototype, 'listen');
    expectError(await rejection(createRouter({ logger: false, ...options })), HeraldError, 'OPTION_INVALID');
    expect(listen).not.toHaveBeenCalled();
    // On a shared server: no upgrade listener left behind either.
    const server = createServer();
    expectError(await rejection(createRouter({ logger: false, server, ...options })), HeraldError, 'OPTION_INVALID');
    expect([server.listening, server.listenerCount('upgrade'), server.listenerCount('request')]).toEqual([false, 0, 0]);
  });

  it('takes every host form Node listens on: IPv4, IPv6 (with a zone), names, 0.0.0.0 and ::', async () => {
    for (const host of ['127.0.0.1', '::1', 'localhost', 'LOCALHOST', 'localhost.', '0.0.0.0', '::', 'fe80::1%eth0', 'router-1.internal', 'svc_a.local']) {
      await created({ host, metrics: { host } }); // checked, not opened (listen: false)
    }
    // Loopback ones for real: a client reaches the router there.
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      await using router = await startRouter({ host });
      await using client = await RawClient.welcomed(router.url);
      expect(client.welcome?.type).toBe('welcome');
    }
  });

  it('takes URL paths, and clients connect on them', async () => {
    for (const path of ['/', '/herald', '/a/b/', '/ws%20x', '/v1;x=1', "/@me:~!$&'()*+,="]) {
      await using router = await startRouter({ path });
      await using client = await RawClient.welcomed(router.url);
      expect(client.welcome?.type).toBe('welcome');
    }
  });

  it("takes lists of origins as browsers send them (an empty list: no browser page may connect), and 'null'", async () => {
    for (const allowedOrigins of [[], ['https://app.example.com'], ['http://127.0.0.1:8080', 'http://[::1]:3000'], ['null'], ['chrome-extension://abcdefghijklmnop'], ['https://xn--bcher-kva.example']]) {
      await created({ allowedOrigins });
    }
    await using router = await startRouter({ allowedOrigins: ['http://app.example:8080'] });
    await using allowed = await RawClient.welcomed(router.url, {}, { headers: { origin: 'http://app.example:8080' } });
    expect(allowed.welcome?.type).toBe('welcome');
  });
});

describe('history patterns (property)', () => {
  it('a MemoryEngine takes a history rule iff its pattern is one a subscribe would take', () => {
    const segment = fc.oneof(fc.constantFrom('*', '>', 'a', 'b1', '', 'x y', 'é'), fc.string({ maxLength: 4 }));
    const pattern = fc.oneof(fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.')), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(pattern, (text) => {
        const outcome = thrown(() => new MemoryEngine({ history: { pattern: text, limit: 1, ttlMs: 1 } }));
        if (patternProblem(text) === undefined) expect(outcome).toBeUndefined();
        else expectError(outcome, HeraldError, 'OPTION_INVALID');
      }),
      { numRuns: 500 },
    );
  });
});

describe('jwtAuthenticator options', () => {
  const BASE = { secret: SECRET_16, algorithms: ['HS256'], issuer: 'https://auth.test', audience: 'herald' } as const;

  it.each([
    ['no key source', { ...BASE, secret: undefined }],
    ['two key sources', { ...BASE, publicKey: 'x' }],
    ['an empty secret', { ...BASE, secret: '' }],
    ['a number as secret', { ...BASE, secret: 42 }],
    ['no algorithms', { ...BASE, algorithms: undefined }],
    ['an empty algorithm list', { ...BASE, algorithms: [] }],
    ['an empty algorithm name', { ...BASE, algorithms: [''] }],
    ['no issuer', { ...BASE, issuer: undefined }],
    ['an empty issuer', { ...BASE, issuer: '' }],
    ['an empty issuer list', { ...BASE, issuer: [] }],
    ['no audience', { ...BASE, audience: undefined }],
    ['an audience list with a number', { ...BASE, audience: ['herald', 3] }],
    ['options that are not an object', null],
  ])('refuses %s with OPTION_INVALID, the secret never in the error', (_label, options) => {
    const error = expectError(thrown(() => jwtAuthenticator(options as never)), HeraldError, 'OPTION_INVALID');
    expect(error.message).not.toContain(SECRET_16);
  });

  it.each(optionCases(JWT_OPTION_RANGES).map((c) => [c.path, c] as const))('%s: both ends taken, out of range refused', (path, { accepted, refused }) => {
    for (const value of accepted) expect(typeof jwtAuthenticator({ ...BASE, ...optionsAt(JWT_OPTION_RANGES, path, value) })).toBe('function');
    for (const value of refused) expectError(thrown(() => jwtAuthenticator({ ...BASE, ...optionsAt(JWT_OPTION_RANGES, path, value) })), HeraldError, 'OPTION_INVALID');
  });

  it('takes lists of issuers and audiences', () => {
    expect(typeof jwtAuthenticator({ ...BASE, issuer: ['a', 'b'], audience: ['c'] })).toBe('function');
  });
});

describe('new MemoryEngine(options)', () => {
  it.each(optionCases(MEMORY_ENGINE_OPTION_RANGES).map((c) => [c.path, c] as const))('%s: both ends taken, out of range refused', async (path, { accepted, refused }) => {
    for (const value of accepted) await new MemoryEngine(optionsAt(MEMORY_ENGINE_OPTION_RANGES, path, value)).close();
    for (const value of refused) expectError(thrown(() => new MemoryEngine(optionsAt(MEMORY_ENGINE_OPTION_RANGES, path, value))), HeraldError, 'OPTION_INVALID');
  });
});

describe("the router's per-call options", () => {
  it.each(optionCases(ROUTER_CALL_OPTION_RANGES.request).map((c) => [c.path, c] as const))('request %s: out of range rejects with OPTION_INVALID, both ends reach the handler', async (path, { accepted, refused }) => {
    await using router = await startRouter();
    await router.handle('echo', (params) => params);
    for (const value of refused) expectError(await rejection(router.request('echo', 1, optionsAt(ROUTER_CALL_OPTION_RANGES.request, path, value))), HeraldError, 'OPTION_INVALID');
    // 0 is a valid timeout that may fire before the reply: either the result or TIMEOUT, never OPTION_INVALID.
    for (const value of accepted) {
      const outcome = await router.request('echo', 1, optionsAt(ROUTER_CALL_OPTION_RANGES.request, path, value)).catch((error: unknown) => error);
      if (outcome !== 1) expectError(outcome, HeraldError, 'TIMEOUT');
    }
  });

  it.each(optionCases(ROUTER_CALL_OPTION_RANGES.presenceCount).map((c) => [c.path, c] as const))('presenceCount %s: other words reject with OPTION_INVALID', async (path, { accepted, refused }) => {
    await using router = await startRouter();
    for (const value of accepted) expect(await router.presenceCount('room', optionsAt(ROUTER_CALL_OPTION_RANGES.presenceCount, path, value))).toBe(0);
    for (const value of refused) expectError(await rejection(router.presenceCount('room', optionsAt(ROUTER_CALL_OPTION_RANGES.presenceCount, path, value) as never)), HeraldError, 'OPTION_INVALID');
  });

  it('disconnect: a code no close frame may carry throws OPTION_INVALID and leaves the client connected; a valid one closes with it', async () => {
    await using router = await startRouter();
    await using client = await RawClient.welcomed(router.url);
    const [info] = router.clients();
    for (const code of [999, 1004, 1005, 1006, 1015, 2999, 5000, 4000.5, Number.NaN, '4000']) {
      expectError(thrown(() => router.disconnect(info!.id, { code } as never)), HeraldError, 'OPTION_INVALID');
    }
    expect(router.clients()).toHaveLength(1);
    expect(router.disconnect(info!.id, { code: 4999 })).toBe(true);
    expect((await client.closed).code).toBe(4999);
  });

  it('property: disconnect takes a code iff a close frame may carry it (RFC 6455 7.4: 1000-1014 but 1004-1006, 3000-4999)', async () => {
    await using router = await startRouter();
    const sendable = (code: number): boolean => Number.isInteger(code) && ((code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999));
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.double()), (code) => {
        // An unknown id: the check runs first, nothing is closed.
        const outcome = thrown(() => router.disconnect('nobody', { code }));
        if (sendable(code)) expect(outcome).toBeUndefined();
        else expectError(outcome, HeraldError, 'OPTION_INVALID');
      }),
    );
  });
});
