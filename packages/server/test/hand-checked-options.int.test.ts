/**
 * Options checked by hand or at the call rather than by `createRouter`'s table: the codec list,
 * `resumeSecret`, `admin.token`, `jwtAuthenticator`, `new MemoryEngine(...)`, history patterns,
 * and the router's per-call options (`request`'s timeout, `disconnect`'s code, `presenceCount`'s
 * `by`). Each bad value gets `OPTION_INVALID`; a secret never appears in the error.
 */
import { HeraldError, jsonCodec, patternProblem } from '@herald/protocol';
import { RawClient, expectError, optionCases, optionsAt, rejection, startRouter, thrown } from '@herald/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
