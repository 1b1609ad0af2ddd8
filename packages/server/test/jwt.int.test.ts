/**
 * jwtAuthenticator on a real router: claims to identity, and the tokens it must refuse (forged,
 * expired, wrong algorithm, unsigned, another issuer or audience), and JWKS key rotation served
 * from a local HTTP server.
 */
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode, HeraldError } from '@herald/protocol';
import { RawClient, expectError, startRouter } from '@herald/testkit';
import { type JWK, SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { type JwtAuthenticatorOptions, jwtAuthenticator } from '../src/index.js';

const SECRET = 'a-secret-of-at-least-32-bytes-for-hs256!!';
const BASE = { algorithms: ['HS256'], issuer: 'https://auth.test', audience: 'herald' } as const;
const PERMISSIONS = { allow: { 'sensors.>': ['subscribe'], 'user.{user}.>': ['*'] }, deny: { 'sensors.secret.>': ['*'] } };

function sign(claims: Record<string, unknown>, options: { secret?: string; alg?: string; expires?: string | number; issuer?: string; audience?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setSubject('alice')
    .setIssuer(options.issuer ?? BASE.issuer)
    .setAudience(options.audience ?? BASE.audience)
    .setIssuedAt()
    .setExpirationTime(options.expires ?? '5m')
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** The close code of a hello with this token, or 'welcome' when accepted. */
async function helloWith(url: string, token: string): Promise<number | 'welcome'> {
  const client = await RawClient.open(url);
  client.send({ type: 'hello', token });
  try {
    const first = await client.next();
    await client.close();
    return first.type === 'welcome' ? 'welcome' : -1;
  } catch {
    return (await client.closed).code;
  }
}

describe('jwtAuthenticator', () => {
  it('maps sub, name, info, exp and the herald claim to the identity', async () => {
    await using router = await startRouter({ authenticate: jwtAuthenticator({ secret: SECRET, ...BASE }) });
    const token = await sign({ name: 'Alice', info: { team: 'ops' }, herald: PERMISSIONS }, { expires: '10m' });
    await using alice = await RawClient.welcomed(router.url, { token });
    expect(alice.welcome).toMatchObject({ user: 'alice', name: 'Alice', expiresAt: expect.any(Number) });
    expect(alice.welcome!.expiresAt! - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(router.clients()).toMatchObject([{ user: 'alice', name: 'Alice', info: { team: 'ops' } }]);
    alice.send({ type: 'subscribe', id: 1, pattern: 'sensors.kitchen.>' });
    expect(await alice.next()).toMatchObject({ type: 'subscribed', id: 1 });
    alice.send({ type: 'subscribe', id: 2, pattern: 'sensors.>' });
    expect(await alice.next()).toMatchObject({ type: 'error', id: 2, code: 'PERMISSION_DENIED' });
    alice.send({ type: 'publish', id: 3, topic: 'user.alice.notes' }, '{"json":1}');
    expect(await alice.next()).toMatchObject({ type: 'publish_ack', id: 3 });
  });

  it('reads caps as allow, as earlier `herald token` versions wrote the claim', async () => {
    await using router = await startRouter({ authenticate: jwtAuthenticator({ secret: SECRET, ...BASE }) });
    await using alice = await RawClient.welcomed(router.url, { token: await sign({ herald: { caps: { 'chat.>': ['publish'] }, deny: { 'chat.x': ['*'] } } }) });
    alice.send({ type: 'publish', id: 1, topic: 'chat.lobby' }, '{"json":1}');
    expect(await alice.next()).toMatchObject({ type: 'publish_ack', id: 1 });
    alice.send({ type: 'publish', id: 2, topic: 'chat.x' }, '{"json":1}');
    expect(await alice.next()).toMatchObject({ type: 'error', id: 2, code: 'PERMISSION_DENIED' });
  });

  it('a token without the permissions claim gets defaultPermissions (default: nothing)', async () => {
    await using router = await startRouter({ authenticate: jwtAuthenticator({ secret: SECRET, ...BASE }) });
    await using alice = await RawClient.welcomed(router.url, { token: await sign({}) });
    alice.send({ type: 'publish', id: 1, topic: 'anything' }, '{"json":1}');
    expect(await alice.next()).toMatchObject({ type: 'error', id: 1, code: 'PERMISSION_DENIED' });
  });

  it.each<[string, () => Promise<string>, number]>([
    ['forged (another secret)', () => sign({}, { secret: 'another-secret-of-at-least-32-bytes!!!!' }), CloseCode.AUTH_INVALID],
    ['expired', () => sign({}, { expires: Math.floor(Date.now() / 1000) - 60 }), CloseCode.TOKEN_EXPIRED],
    ['wrong algorithm (HS512)', () => sign({}, { alg: 'HS512' }), CloseCode.AUTH_INVALID],
    ['unsigned (alg none)', async () => new UnsecuredJWT({}).setSubject('alice').setIssuer(BASE.issuer).setAudience(BASE.audience).setExpirationTime('5m').encode(), CloseCode.AUTH_INVALID],
    ['another issuer', () => sign({}, { issuer: 'https://evil.test' }), CloseCode.AUTH_INVALID],
    ['another audience', () => sign({}, { audience: 'other' }), CloseCode.AUTH_INVALID],
    ['not a JWT', async () => 'hello', CloseCode.AUTH_INVALID],
    ['a malformed permissions claim', () => sign({ herald: { allow: { '>': 'publish' } } }), CloseCode.AUTH_INVALID],
  ])('refuses a token that is %s', async (_what, token, code) => {
    await using router = await startRouter({ authenticate: jwtAuthenticator({ secret: SECRET, ...BASE }) });
    expect(await helloWith(router.url, await token())).toBe(code);
  });

  it('refuses a hello without a token', async () => {
    await using router = await startRouter({ authenticate: jwtAuthenticator({ secret: SECRET, ...BASE }) });
    const client = await RawClient.open(router.url);
    client.send({ type: 'hello' });
    expect((await client.closed).code).toBe(CloseCode.AUTH_INVALID);
  });

  it('a token that expired within the clock tolerance (and the router’s grace) is accepted', async () => {
    await using router = await startRouter({ authenticate: jwtAuthenticator({ secret: SECRET, ...BASE }) });
    expect(await helloWith(router.url, await sign({}, { expires: Math.floor(Date.now() / 1000) - 2 }))).toBe('welcome');
    await using strict = await startRouter({ authenticate: jwtAuthenticator({ secret: SECRET, ...BASE, clockToleranceMs: 0 }) });
    expect(await helloWith(strict.url, await sign({}, { expires: Math.floor(Date.now() / 1000) - 2 }))).toBe(CloseCode.TOKEN_EXPIRED);
  });

  it('verifies with a public key (ES256, PEM)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    await using router = await startRouter({ authenticate: jwtAuthenticator({ publicKey: await exportSPKI(publicKey), ...BASE, algorithms: ['ES256'] }) });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject('bob').setIssuer(BASE.issuer).setAudience(BASE.audience).setExpirationTime('5m').sign(privateKey);
    await using bob = await RawClient.welcomed(router.url, { token });
    expect(bob.welcome?.user).toBe('bob');
    // an HS256 token made with the public key as secret (algorithm confusion) is refused
    const confused = await sign({}, { secret: await exportSPKI(publicKey) });
    expect(await helloWith(router.url, confused)).toBe(CloseCode.AUTH_INVALID);
  });

  it('follows a JWKS key rotation (keys served on 127.0.0.1, port 0)', async () => {
    const a = await generateKeyPair('RS256', { extractable: true });
    const b = await generateKeyPair('RS256', { extractable: true });
    const jwk = async (key: CryptoKey, kid: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg: 'RS256', use: 'sig' });
    let keys = [await jwk(a.publicKey, 'a')];
    let fetches = 0;
    const server: Server = createServer((_request, response) => {
      fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const options: JwtAuthenticatorOptions = { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwks: { cooldownDuration: 0 }, ...BASE, algorithms: ['RS256'] };
      await using router = await startRouter({ authenticate: jwtAuthenticator(options) });
      const tokenOf = (key: CryptoKey, kid: string): Promise<string> =>
        new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid }).setSubject('carol').setIssuer(BASE.issuer).setAudience(BASE.audience).setExpirationTime('5m').sign(key);
      expect(await helloWith(router.url, await tokenOf(a.privateKey, 'a'))).toBe('welcome');
      expect(await helloWith(router.url, await tokenOf(a.privateKey, 'a'))).toBe('welcome');
      expect(fetches).toBe(1); // cached
      keys = [await jwk(b.publicKey, 'b')]; // rotation: a retired, b in
      expect(await helloWith(router.url, await tokenOf(b.privateKey, 'b'))).toBe('welcome');
      expect(fetches).toBe(2); // the unknown kid made jose refetch
      expect(await helloWith(router.url, await tokenOf(a.privateKey, 'a'))).toBe(CloseCode.AUTH_INVALID);
      // a token claiming kid b but signed with a: forged
      expect(await helloWith(router.url, await tokenOf(a.privateKey, 'b'))).toBe(CloseCode.AUTH_INVALID);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('refuses bad options at once', () => {
    const thrown = (make: () => unknown): unknown => {
      try {
        make();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    // More cases in hand-checked-options.int.test.ts.
    expectError(thrown(() => jwtAuthenticator({ ...BASE })), HeraldError, 'OPTION_INVALID');
    expectError(thrown(() => jwtAuthenticator({ secret: SECRET, jwksUrl: 'http://127.0.0.1/', ...BASE })), HeraldError, 'OPTION_INVALID');
    expectError(thrown(() => jwtAuthenticator({ secret: SECRET, ...BASE, algorithms: [] })), HeraldError, 'OPTION_INVALID');
  });
});
