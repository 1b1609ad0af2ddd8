/**
 * The hello in the upgrade request (issue 16, PROTOCOL.md §2 "Hello in the upgrade"): a
 * `herald.v1.hello.<base64url>` subprotocol entry beside the codec. The router welcomes behind the
 * 101 in the same write, applies the same checks, `authenticate`, resume and connection limits as
 * for a first-frame hello, and refuses a malformed entry with 4000 HELLO_INVALID.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode, ErrorCode, HELLO_SUBPROTOCOL_PREFIX, MAX_HELLO_SUBPROTOCOL, helloSubprotocol } from '@herald/protocol';
import { RawClient, deferred, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { AuthContext, Identity } from '../src/index.js';

const codeOf = (reason: string): string => reason.slice(0, reason.indexOf(':'));

/** A raw socket offering `entries` after the codec, expected to be closed before any frame. */
async function refusedWith(url: string, entries: string[]): Promise<{ code: number; error: string; frames: number }> {
  const raw = await RawClient.open(url, { protocols: ['herald.v1.superjson', ...entries] });
  const { frames, close } = await raw.untilClosed();
  return { code: close.code, error: codeOf(close.reason), frames: frames.length };
}

const SECRET = 'a resume secret of the cluster';

/**
 * A router on a server of the test's own, recording what the router's side writes to each upgraded
 * socket (its `_write`/`_writev` calls, in order): `writes` of the last socket upgraded.
 */
async function recordingRouter(options: Parameters<typeof startRouter>[0] = {}): Promise<{ router: Awaited<ReturnType<typeof startRouter>>; writes: string[][]; [Symbol.asyncDispose](): Promise<void> }> {
  const server = createServer();
  const sockets: string[][][] = [];
  // Registered before the router's listener: records what the router's side writes to the socket.
  server.on('upgrade', (_request, socket: Socket & { _write: Socket['_write']; _writev: NonNullable<Socket['_writev']> }) => {
    const writes: string[][] = [];
    sockets.push(writes);
    const write = socket._write.bind(socket);
    const writev = socket._writev.bind(socket);
    socket._write = (chunk, encoding, callback) => (writes.push([String(chunk)]), write(chunk, encoding, callback));
    socket._writev = (chunks, callback) => (writes.push(chunks.map((c) => String(c.chunk))), writev(chunks, callback));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const router = await startRouter({ ...options, server, path: '/herald' });
  return {
    router,
    get writes() {
      return sockets[sockets.length - 1] ?? [];
    },
    async [Symbol.asyncDispose]() {
      await router.close();
      server.close();
      server.closeAllConnections();
    },
  };
}

function tokenAuthenticate(seen: AuthContext[] = []): (ctx: AuthContext) => Identity {
  return (ctx) => {
    seen.push(ctx);
    if (ctx.token !== 'good') throw new Error('bad token');
    return { user: 'u1', name: 'Uhura', permissions: { allow: { 'bridge.>': ['subscribe'] } } };
  };
}

describe('a hello in the upgrade request', () => {
  it('is welcomed without a hello frame; the name and info apply, the codec subprotocol is selected', async () => {
    await using router = await startRouter();
    const info = JSON.stringify({ json: { role: 'captain' } });
    await using raw = await RawClient.openWithHello(router.url, { name: 'Kirk', info });
    expect(raw.socket.protocol).toBe('herald.v1.superjson');
    const welcome = await raw.next();
    expect(welcome).toMatchObject({ type: 'welcome', version: 1, name: 'Kirk', router: { id: router.id } });
    expect(router.clients().map((c) => [c.name, c.info])).toEqual([['Kirk', { role: 'captain' }]]);
    // The connection is open: it subscribes at once.
    raw.send({ type: 'subscribe', id: 1, pattern: 'a.b' });
    expect(await raw.next()).toEqual({ type: 'subscribed', id: 1, pattern: 'a.b', at: expect.any(Number) });
  });

  it('works with the json codec too, and a hello with no fields gets the id as name', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.openWithHello(router.url, {}, { protocols: ['herald.v1.json'] });
    expect(raw.socket.protocol).toBe('herald.v1.json');
    const welcome = await raw.next();
    expect(welcome.type === 'welcome' && welcome.name === welcome.id).toBe(true);
  });

  it('leaves in the same write as the 101 (the socket is corked across handleUpgrade)', async () => {
    await using recorded = await recordingRouter();
    await using raw = await RawClient.openWithHello(recorded.router.url, { name: 'Spock' });
    expect((await raw.next()).type).toBe('welcome');
    expect(recorded.writes).toHaveLength(1);
    const [first] = recorded.writes;
    expect(first![0]).toMatch(/^HTTP\/1\.1 101 /);
    expect(first!.slice(1).join('')).toContain('"type":"welcome"');
  });

  it("a resume whose session is not open on this router (a reconnect storm's) is welcomed in the 101's write too, with its id", async () => {
    // The session was on router A, which died: on router B (same resumeSecret) nothing is taken over.
    await using a = await startRouter({ resumeSecret: SECRET });
    const first = await RawClient.openWithHello(a.url, { name: 'Sulu' });
    const welcome = await first.next();
    if (welcome.type !== 'welcome') throw new Error('no welcome');
    first.socket.terminate();
    await first.closed;
    await using recorded = await recordingRouter({ resumeSecret: SECRET });
    await using again = await RawClient.openWithHello(recorded.router.url, { name: 'Sulu', resume: welcome.resume });
    expect(await again.next()).toMatchObject({ type: 'welcome', id: welcome.id, name: 'Sulu', resume: welcome.resume });
    expect(recorded.writes).toHaveLength(1);
    expect(recorded.writes[0]![0]).toMatch(/^HTTP\/1\.1 101 /);
    expect(recorded.writes[0]!.slice(1).join('')).toContain(`"id":"${welcome.id}"`);
    expect(recorded.router.clients().map((c) => [c.id, c.name])).toEqual([[welcome.id, 'Sulu']]);
  });

  it('a resume token that does not verify here starts a new session, in the same write, named after its new id', async () => {
    await using a = await startRouter(); // another, random, secret
    const first = await RawClient.openWithHello(a.url, {});
    const welcome = await first.next();
    if (welcome.type !== 'welcome') throw new Error('no welcome');
    first.socket.terminate();
    await first.closed;
    await using recorded = await recordingRouter();
    await using again = await RawClient.openWithHello(recorded.router.url, { resume: welcome.resume });
    const fresh = await again.next();
    if (fresh.type !== 'welcome') throw new Error('no welcome');
    expect(fresh.id).not.toBe(welcome.id);
    expect(fresh.name).toBe(fresh.id);
    expect(recorded.writes).toHaveLength(1);
  });

  it('a resume of a session still open on this router waits for the takeover: the stale socket is closed 4003 first', async () => {
    await using recorded = await recordingRouter();
    await using stale = await RawClient.openWithHello(recorded.router.url, { name: 'Rand' });
    const welcome = await stale.next();
    if (welcome.type !== 'welcome') throw new Error('no welcome');
    stale.send({ type: 'subscribe', id: 1, pattern: 'deck.*' });
    expect((await stale.next()).type).toBe('subscribed');
    const order: string[] = [];
    void stale.closed.then((close) => order.push(`stale closed ${close.code}`));
    await using again = await RawClient.openWithHello(recorded.router.url, { name: 'Rand', resume: welcome.resume });
    const resumed = await again.next();
    order.push(resumed.type);
    expect(resumed).toMatchObject({ type: 'welcome', id: welcome.id, name: 'Rand' });
    expect(order).toEqual([`stale closed ${CloseCode.SESSION_RESUMED}`, 'welcome']);
    expect(recorded.router.clients().map((c) => [c.id, c.subscriptions])).toEqual([[welcome.id, []]]);
  });

  it('goes through authenticate: the identity and its permissions apply, the token is kept out of the headers it sees', async () => {
    const seen: AuthContext[] = [];
    await using router = await startRouter({ authenticate: tokenAuthenticate(seen) });
    await using raw = await RawClient.openWithHello(router.url, { token: 'good', name: 'ignored' });
    expect(await raw.next()).toMatchObject({ type: 'welcome', user: 'u1', name: 'Uhura' });
    expect(seen.map((ctx) => [ctx.reason, ctx.token, ctx.name])).toEqual([['hello', 'good', 'ignored']]);
    expect(seen[0]!.headers['sec-websocket-protocol']).toBe('herald.v1.superjson');
    raw.send({ type: 'subscribe', id: 1, pattern: 'engineering.x' });
    expect(await raw.next()).toMatchObject({ type: 'error', id: 1, code: ErrorCode.PERMISSION_DENIED });
    raw.send({ type: 'subscribe', id: 2, pattern: 'bridge.x' });
    expect(await raw.next()).toMatchObject({ type: 'subscribed', id: 2 });
  });

  it('is refused by authenticate with 4100 AUTH_INVALID, no welcome', async () => {
    await using router = await startRouter({ authenticate: tokenAuthenticate() });
    const entry = helloSubprotocol(JSON.stringify({ type: 'hello', token: 'bad' }))!;
    expect(await refusedWith(router.url, [entry])).toEqual({ code: CloseCode.AUTH_INVALID, error: ErrorCode.AUTH_INVALID, frames: 0 });
  });

  it('resumes a session: the resume token keeps the id', async () => {
    await using router = await startRouter();
    const first = await RawClient.openWithHello(router.url, { name: 'Sulu' });
    const welcome = await first.next();
    if (welcome.type !== 'welcome') throw new Error('no welcome');
    first.socket.terminate();
    await first.closed;
    await using again = await RawClient.openWithHello(router.url, { resume: welcome.resume });
    expect(await again.next()).toMatchObject({ type: 'welcome', id: welcome.id, resume: welcome.resume });
  });

  it('a hello with a bad name is refused as a first-frame one is: 4000 HELLO_INVALID', async () => {
    await using router = await startRouter();
    const entry = helloSubprotocol(JSON.stringify({ type: 'hello', name: '' }))!;
    expect(await refusedWith(router.url, [entry])).toEqual({ code: CloseCode.PROTOCOL_VIOLATION, error: ErrorCode.HELLO_INVALID, frames: 0 });
  });

  it.each([
    ['not base64url', `${HELLO_SUBPROTOCOL_PREFIX}a.b`],
    ['base64url of no JSON', `${HELLO_SUBPROTOCOL_PREFIX}${Buffer.from('hello').toString('base64url')}`],
    ['another message', helloSubprotocol(JSON.stringify({ type: 'ping', id: 1 }))!],
    ['a hello with a payload', helloSubprotocol(`${JSON.stringify({ type: 'hello' })}\n1`)!],
    ['a field of the wrong type', helloSubprotocol(JSON.stringify({ type: 'hello', name: 7 }))!],
    ['over the length limit', `${HELLO_SUBPROTOCOL_PREFIX}${'A'.repeat(MAX_HELLO_SUBPROTOCOL)}`],
  ])('a malformed entry (%s) is refused with 4000 HELLO_INVALID', async (_case, entry) => {
    await using router = await startRouter();
    expect(await refusedWith(router.url, [entry])).toEqual({ code: CloseCode.PROTOCOL_VIOLATION, error: ErrorCode.HELLO_INVALID, frames: 0 });
    expect(router.clients()).toEqual([]);
  });

  it('two hello entries are refused with 4000 HELLO_INVALID', async () => {
    await using router = await startRouter();
    const a = helloSubprotocol(JSON.stringify({ type: 'hello', name: 'a' }))!;
    const b = helloSubprotocol(JSON.stringify({ type: 'hello', name: 'b' }))!;
    expect(await refusedWith(router.url, [a, b])).toEqual({ code: CloseCode.PROTOCOL_VIOLATION, error: ErrorCode.HELLO_INVALID, frames: 0 });
  });

  it('then a hello frame as well: a second hello, closed with 4000 PROTOCOL_HELLO_REQUIRED after the welcome', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.openWithHello(router.url, { name: 'Chekov' });
    raw.send({ type: 'hello', name: 'Chekov' });
    const { frames, close } = await raw.untilClosed();
    expect(frames.map((f) => f.type)).toEqual(['welcome']);
    expect([close.code, codeOf(close.reason)]).toEqual([CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_HELLO_REQUIRED]);
  });

  it('a hello frame sent while authenticate still works on the upgrade hello waits for it, then is a second hello', async () => {
    const gate = deferred<void>();
    await using router = await startRouter({
      authenticate: async (ctx) => {
        await gate.promise;
        return tokenAuthenticate()(ctx);
      },
    });
    await using raw = await RawClient.openWithHello(router.url, { token: 'good' });
    // Whether the frame reaches the router before authenticate answers or after, it is a second hello.
    raw.send({ type: 'hello', token: 'good' });
    gate.resolve();
    const { frames, close } = await raw.untilClosed();
    expect(frames.map((f) => f.type)).toEqual(['welcome']);
    expect([close.code, codeOf(close.reason)]).toEqual([CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_HELLO_REQUIRED]);
  });

  it('connection limits apply before the hello: maxConnections refuses with 1013 ROUTER_FULL', async () => {
    await using router = await startRouter({ maxConnections: 1 });
    await using first = await RawClient.openWithHello(router.url, { name: 'one' });
    expect((await first.next()).type).toBe('welcome');
    const entry = helloSubprotocol(JSON.stringify({ type: 'hello', name: 'two' }))!;
    expect(await refusedWith(router.url, [entry])).toEqual({ code: CloseCode.TRY_AGAIN_LATER, error: ErrorCode.ROUTER_FULL, frames: 0 });
    expect(router.clients().map((c) => c.name)).toEqual(['one']);
  });

  it('with no supported codec: 4001, and the subprotocol echoed is never the hello entry', async () => {
    await using router = await startRouter();
    const entry = helloSubprotocol(JSON.stringify({ type: 'hello', token: 'secret' }))!;
    const raw = await RawClient.open(router.url, { protocols: ['herald.v9.msgpack', entry] });
    expect(raw.socket.protocol).toBe('herald.v9.msgpack');
    const { frames, close } = await raw.untilClosed();
    expect([frames.length, close.code, codeOf(close.reason)]).toEqual([0, CloseCode.CODEC_UNSUPPORTED, ErrorCode.CODEC_UNSUPPORTED]);
  });

  it('the old way still works beside it: a hello frame after an upgrade without an entry', async () => {
    await using router = await startRouter();
    await using upgraded = await RawClient.openWithHello(router.url, { name: 'new' });
    await using framed = await RawClient.welcomed(router.url, { name: 'old' });
    expect((await upgraded.next()).type).toBe('welcome');
    expect(framed.welcome!.name).toBe('old');
    expect(router.clients().map((c) => c.name).sort()).toEqual(['new', 'old']);
  });
});
