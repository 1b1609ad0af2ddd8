/**
 * The real `herald` bin in child processes (each ended by its pid): `serve` from flags and from
 * config files (JSON, TypeScript; memory and Redis), `sub` and `pub` with a Date, a Map and a
 * BigInt as literals and as NDJSON, `call`, `presence`, `methods`, `ping`, `token`, the help of
 * every command, and usage errors (exit 2).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@herald/client';
import { RawClient, startRedisServer } from '@herald/testkit';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(PACKAGE, 'dist', 'bin.js');

/**
 * Each test runs the real bin in child processes, up to 15 one after the other, each about 0.3 s of
 * CPU just to load: up to 5 s on an idle machine, several times that on a loaded 2-core one. The
 * timeout only catches a hang; speed is not what these tests are about.
 */
const SPAWNING = { timeout: 60_000 };

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `herald args…` to its end, with `env` added to this process's environment (never set on
 * `process.env`: a test that timed out goes on running, and must not leak a variable into the next).
 */
function herald(args: string[], input?: string, env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 20_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** A long-running `herald` (serve, sub): its output so far, a wait for a line, a stop by pid. */
class Running {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #waiters: Array<() => void> = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
    this.child.stdout!.on('data', (chunk: Buffer) => this.#took((this.stdout += chunk.toString())));
    this.child.stderr!.on('data', (chunk: Buffer) => this.#took((this.stderr += chunk.toString())));
  }

  #took(_: string): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves with the first match of `pattern` in stdout (or stderr with `from: 'stderr'`). */
  async waitFor(pattern: RegExp, from: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    for (;;) {
      const match = this[from].match(pattern);
      if (match !== null) return match;
      if (this.child.exitCode !== null) throw new Error(`herald exited (${this.child.exitCode}) before ${pattern}:\n${this.stdout}\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        this.child.once('exit', () => resolve());
      });
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid!, signal);
    return this.exited;
  }
}

let dir: string;
const running: Running[] = [];
function start(args: string[], env: Record<string, string> = {}): Running {
  const r = new Running(args, env);
  running.push(r);
  return r;
}

beforeAll(async () => {
  // The bin is the built package: bring dist up to date (incremental, quick when it is).
  const built = await new Promise<Finished>((resolve) =>
    execFile(process.execPath, [join(PACKAGE, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-b', PACKAGE], (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : 1, stdout, stderr }),
    ),
  );
  expect(built.code, built.stdout + built.stderr).toBe(0);
  dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

describe('herald serve, then the client commands against it', SPAWNING, () => {
  let serve: Running;
  let url: string;

  beforeAll(async () => {
    serve = start(['serve', '--port', '0', '--metrics', '--name', 'cli-router']);
    url = (await serve.waitFor(/^herald: listening on (ws:\/\/\S+) \(memory engine\), metrics at (\S+)$/m))[1]!;
  });

  it('sub prints each message with topic, offset and publisher; pub reads Date, Map and BigInt literals', async () => {
    const sub = start(['sub', 'sensors.>', '--url', url, '--count', '2']);
    await sub.waitFor(/^subscribed to sensors\.> on /m, 'stderr');
    const first = await herald(['pub', 'sensors.kitchen.temp', '{ at: Date("2026-12-06T10:00:00Z"), tags: Map([["unit", "C"]]), n: 12345678901234567890n }', '--url', url, '--name', 'probe']);
    expect(first).toMatchObject({ code: 0, stdout: 'published sensors.kitchen.temp #1\n' });
    const second = await herald(['pub', 'sensors.hall.temp', "'hi'", '--url', url]);
    expect(second.stdout).toBe('published sensors.hall.temp #1\n');
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe(
      'sensors.kitchen.temp #1 from probe: { at: Date("2026-12-06T10:00:00.000Z"), tags: Map([["unit", "C"]]), n: 12345678901234567890n }\n' +
        'sensors.hall.temp #1 from herald-cli: "hi"\n',
    );
  });

  it('sub --json prints NDJSON; pub without a value publishes one value per line of stdin', async () => {
    const sub = start(['sub', 'counters.>', '--url', url, '--count', '3', '--json']);
    await sub.waitFor(/^subscribed to/m, 'stderr');
    const piped = await herald(['pub', 'counters.a', '--url', url], '1n\n\nDate(0)\n"three"\n');
    expect(piped.stdout).toBe('published counters.a #1\npublished counters.a #2\npublished counters.a #3\n');
    expect(await sub.exited).toBe(0);
    const lines = sub.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l.topic, l.offset, l.data, l.replayed])).toStrictEqual([
      ['counters.a', 1, '1', false],
      ['counters.a', 2, '1970-01-01T00:00:00.000Z', false],
      ['counters.a', 3, 'three', false],
    ]);
    expect(lines[0]).toMatchObject({ publisher: { name: 'herald-cli' }, epoch: expect.any(String), publishedAt: expect.any(String) });
  });

  it('sub --rewind replays history, marked replayed', async () => {
    await herald(['pub', 'history.x', '41', '--url', url]);
    const replay = await herald(['sub', 'history.x', '--url', url, '--rewind', '1', '--count', '1']);
    expect(replay).toMatchObject({ code: 0, stdout: 'history.x #1 from herald-cli (replayed): 41\n' });
  });

  it('call, methods, presence and ping', async () => {
    await using provider = await connect(url, { name: 'tester', reconnect: false });
    await provider.handle('math.sum', (numbers) => (numbers as bigint[]).reduce((a, b) => a + b, 0n));
    await provider.subscribe('room.a');
    expect(await herald(['call', 'math.sum', '[1n, 2n, 3n]', '--url', url])).toMatchObject({ code: 0, stdout: '6n\n' });
    const missing = await herald(['call', 'nobody.home', '--url', url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^herald call: NO_HANDLER: /);
    expect((await herald(['methods', '--url', url])).stdout).toBe(`math.sum  tester (${provider.id})\n`);
    expect((await herald(['methods', '--url', url, '--json'])).stdout).toBe(`${JSON.stringify({ method: 'math.sum', providers: [{ id: provider.id, name: 'tester' }] })}\n`);
    const members = await herald(['presence', 'room.a', '--url', url]);
    expect(members.stdout).toMatch(new RegExp(`^tester \\(${provider.id}\\) since \\d{4}-\\d\\d-\\d\\dT`));
    const pong = await herald(['ping', '--url', url, '--json']);
    expect(JSON.parse(pong.stdout)).toMatchObject({ url, router: { name: 'cli-router' }, ms: expect.any(Number) });
  });

  it('serves /metrics and the health endpoints on the router port', async () => {
    const http = url.replace(/^ws/, 'http').replace(/\/$/, '');
    const text = await (await fetch(`${http}/metrics`)).text();
    expect(text).toMatch(/^herald_publications_total \d+$/m);
    expect((await fetch(`${http}/readyz`)).status).toBe(200);
  });

  it('stops gracefully on SIGTERM: connected clients get 1001 and the process exits 0', async () => {
    await using client = await connect(url, { reconnect: false });
    const closed = new Promise<number | undefined>((resolve) => client.on('statechange', (c) => c.to === 'closed' && resolve(c.code)));
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(await closed).toBe(1001);
    expect(serve.stderr).toMatch(/SIGTERM: closing the router/);
    expect(serve.stderr).toMatch(/INFO {2}herald stopped/);
  });
});

describe('herald serve --config', SPAWNING, () => {
  it('a JSON config with JSON logs: the listening line and every log line are JSON', async () => {
    const file = join(dir, 'herald.config.json');
    writeFileSync(file, JSON.stringify({ port: 0, name: 'from-json', history: { limit: 1, ttlMs: 60_000 }, limits: { maxConnections: 5 }, logFormat: 'json' }));
    const serve = start(['serve', '--config', file]);
    const line = JSON.parse((await serve.waitFor(/^\{.*\}$/m))[0]) as { event: string; url: string; engine: string };
    expect(line).toMatchObject({ event: 'listening', engine: 'memory' });
    await herald(['pub', 'a.b', '1', '--url', line.url]);
    await herald(['pub', 'a.b', '2', '--url', line.url]);
    // history limit 1: only the last one is replayed
    expect((await herald(['sub', 'a.b', '--url', line.url, '--rewind', '5', '--count', '1'])).stdout).toBe('a.b #2 from herald-cli (replayed): 2\n');
    expect((await herald(['ping', '--url', line.url, '--json'])).stdout).toMatch(/"name":"from-json"/);
    expect(await serve.stop('SIGINT')).toBe(0);
    const logs = serve.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; name: string; time: string });
    expect(logs.length).toBeGreaterThan(2);
    expect(logs[0]).toMatchObject({ level: 'info', msg: 'router listening', name: 'herald' });
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped' });
  });

  it('a TypeScript config, compiled with the project’s typescript; flags win over it', async () => {
    const file = join(dir, 'herald.config.ts');
    writeFileSync(file, "interface Config { port: number; name: string }\nconst config: Config = { port: 1, name: 'from-ts' };\nexport default config;\n");
    const serve = start(['serve', '--config', file, '--port', '0']);
    const url = (await serve.waitFor(/listening on (ws:\/\/\S+)/))[1]!;
    expect((await herald(['ping', '--url', url, '--json'])).stdout).toMatch(/"name":"from-ts"/);
    expect(await serve.stop()).toBe(0);
  });

  it('Redis from the config file (redis://…): two routers share messages', async () => {
    await using redis = await startRedisServer();
    const prefix = `cli${process.pid}:`;
    const file = join(dir, 'redis.config.json');
    writeFileSync(file, JSON.stringify({ port: 0, redis: { url: redis.url, prefix } }));
    const a = start(['serve', '--config', file]);
    const b = start(['serve', '--port', '0', '--redis', redis.url, '--redis-prefix', prefix]);
    const urlA = (await a.waitFor(/listening on (ws:\/\/\S+) \(redis engine\)/))[1]!;
    const urlB = (await b.waitFor(/listening on (ws:\/\/\S+) \(redis engine\)/))[1]!;
    const sub = start(['sub', 'shared.>', '--url', urlA, '--count', '1']);
    await sub.waitFor(/^subscribed/m, 'stderr');
    expect((await herald(['pub', 'shared.news', 'Map([[1n, Date(0)]])', '--url', urlB])).code).toBe(0);
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('shared.news #1 from herald-cli: Map([[1n, Date("1970-01-01T00:00:00.000Z")]])\n');
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  });
});

describe('herald serve with Redis and JWT from a config file (the newcomer path)', SPAWNING, () => {
  it('token mints, sub --token receives pub --token, no token or a forged one is refused with 4100, /metrics answers', async () => {
    await using redis = await startRedisServer();
    const secret = 'a-development-secret-of-32-chars';
    // The secret stays out of ps and out of the file: the config names the variable.
    const file = join(dir, 'jwt.config.json');
    writeFileSync(
      file,
      JSON.stringify({ port: 0, redis: { url: redis.url, prefix: `jwt${process.pid}:` }, metrics: true, admin: true, auth: { secretEnv: 'HERALD_CLI_TEST_SECRET' } }),
    );
    const serve = start(['serve', '--config', file], { HERALD_CLI_TEST_SECRET: secret });
    const url = (await serve.waitFor(/listening on (ws:\/\/\S+) \(redis engine, JWT\), metrics at \S+, admin at \S+/))[1]!;
    const mint = async (...args: string[]) => {
      const minted = await herald(['token', '--secret', secret, ...args]);
      expect(minted.code, minted.stderr).toBe(0);
      return minted.stdout.trim();
    };
    // Every token at once: each mint is a process of its own.
    const [reader, writer, elsewhere, admin, forged] = await Promise.all([
      mint('--user', 'reader', '--allow', 'sensors.>:subscribe'),
      mint('--user', 'writer', '--allow', 'sensors.>:publish'),
      mint('--user', 'x', '--allow', '>:*', '--audience', 'other'),
      mint('--user', 'ops', '--allow', 'herald.admin:call'),
      // Signed with another secret: forged.
      herald(['token', '--secret', 'not-the-router-secret-at-all!!', '--user', 'mallory', '--allow', '>:*']).then((minted) => minted.stdout.trim()),
    ]);

    const sub = start(['sub', 'sensors.>', '--url', url, '--token', reader, '--count', '1']);
    await sub.waitFor(/^subscribed to sensors\.> on /m, 'stderr');
    // The reader may not publish: the permission the token carries is enforced.
    const denied = await herald(['pub', 'sensors.hall', '1', '--url', url, '--token', reader]);
    expect(denied.code).toBe(1);
    expect(denied.stderr.replace(/\n$/, ''), denied.stderr).toMatch(/^herald pub: PERMISSION_DENIED: /);
    expect(await herald(['pub', 'sensors.hall', 'Date(0)', '--url', url, '--token', writer])).toMatchObject({ code: 0, stdout: 'published sensors.hall #1\n' });
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('sensors.hall #1 from writer: Date("1970-01-01T00:00:00.000Z")\n');

    // No token, a forged token (another secret), a token for another audience: close 4100.
    for (const token of [undefined, forged, elsewhere]) {
      const raw = await RawClient.open(url);
      raw.send({ type: 'hello', ...(token !== undefined && { token }) });
      expect((await raw.untilClosed()).close.code).toBe(4100);
      const ping = await herald(['ping', '--url', url, ...(token === undefined ? [] : ['--token', token])]);
      expect(ping.code).toBe(1);
      expect(ping.stderr).toMatch(/^herald ping: AUTH_INVALID: /);
    }
    // $HERALD_TOKEN works like --token.
    expect((await herald(['ping', '--url', url], undefined, { HERALD_TOKEN: writer })).code).toBe(0);

    const metrics = await fetch(`${url.replace(/^ws/, 'http').replace(/\/$/, '')}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^herald_publications_total 1$/m);

    // The admin page is behind the router's authentication: a JWT allowed to call herald.admin.
    const state = (bearer?: string) =>
      fetch(`${url.replace(/^ws/, 'http').replace(/\/$/, '')}/admin/api/state`, bearer === undefined ? {} : { headers: { authorization: `Bearer ${bearer}` } });
    const watcher = await connect(url, { token: reader, reconnect: false });
    const answer = await state(admin);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { clients: Array<{ name: string }> }).clients.map((c) => c.name)).toStrictEqual(['reader']);
    for (const bearer of [undefined, reader, forged, elsewhere]) expect((await state(bearer)).status, String(bearer)).toBe(401);
    expect(serve.stderr).not.toMatch(/admin page at .* token /);
    await watcher.close();
    expect(await serve.stop()).toBe(0);
  });

  it('--anonymous lets clients without a token do only that; --jwt-secret-env names a variable that must be set', async () => {
    const serve = start(['serve', '--port', '0', '--jwt-secret-env', 'HERALD_CLI_TEST_SECRET2', '--anonymous', 'public.>:subscribe', '--allowed-origin', 'https://app.example.com'], {
      HERALD_CLI_TEST_SECRET2: 'another-development-secret-32ch',
    });
    const url = (await serve.waitFor(/listening on (ws:\/\/\S+) \(memory engine, JWT\)/))[1]!;
    const sub = start(['sub', 'public.news', '--url', url, '--count', '1']);
    await sub.waitFor(/^subscribed/m, 'stderr');
    const anonymousPub = await herald(['pub', 'public.news', '1', '--url', url]);
    expect(anonymousPub.stderr).toMatch(/^herald pub: PERMISSION_DENIED: /);
    const token = (await herald(['token', '--secret-env', 'NOPE_UNSET', '--secret', 'another-development-secret-32ch', '--user', 'ed', '--allow', 'public.>:publish'])).stdout.trim();
    expect((await herald(['pub', 'public.news', "'hi'", '--url', url, '--token', token])).code).toBe(0);
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('public.news #1 from ed: "hi"\n');
    // A browser from another origin is refused at the upgrade (HTTP 403).
    const upgrade = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpGet(url.replace(/^ws/, 'http'), {
          headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', origin },
        });
        request.on('response', (response) => (response.resume(), resolve(response.statusCode!)));
        request.on('upgrade', (_response, socket) => (socket.destroy(), resolve(101)));
        request.on('error', reject);
      });
    expect(await upgrade('https://evil.example')).toBe(403);
    expect(await upgrade('https://app.example.com')).toBe(101);
    expect(await serve.stop()).toBe(0);
    const unset = await herald(['serve', '--port', '0', '--jwt-secret-env', 'HERALD_CLI_SURELY_UNSET']);
    expect(unset.code).toBe(2);
  });
});

describe('herald serve --jwks-url', SPAWNING, () => {
  it('verifies RS256 tokens with an identity provider’s keys; an HS256 token is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const idp = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    try {
      const jwks = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
      const serve = start(['serve', '--port', '0', '--jwks-url', jwks, '--jwt-issuer', 'https://idp.test/', '--jwt-audience', 'herald']);
      const url = (await serve.waitFor(/listening on (ws:\/\/\S+) \(memory engine, JWT\)/))[1]!;
      const token = await new SignJWT({ herald: { allow: { '>': ['*'] } } })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('svc')
        .setIssuer('https://idp.test/')
        .setAudience('herald')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect((await herald(['ping', '--url', url, '--token', token])).code).toBe(0);
      const hs = (await herald(['token', '--secret', 'x'.repeat(32), '--user', 'svc', '--issuer', 'https://idp.test/', '--allow', '>:*'])).stdout.trim();
      const refused = await herald(['ping', '--url', url, '--token', hs]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^herald ping: AUTH_INVALID: /);
      expect(await serve.stop()).toBe(0);
    } finally {
      idp.close();
    }
  });
});

describe('herald token', SPAWNING, () => {
  it('mints an HS256 JWT with the user and the permission claims', async () => {
    const result = await herald(['token', '--secret', 'dev-secret', '--user', 'kirk', '--allow', 'sensors.>:subscribe', '--allow', 'chat.>:publish,subscribe', '--deny', 'chat.admin.>:publish', '--expires', '15m']);
    expect(result.code).toBe(0);
    const { payload, protectedHeader } = await jwtVerify(result.stdout.trim(), new TextEncoder().encode('dev-secret'), { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe('kirk');
    // The claim jwtAuthenticator reads: herald.allow / herald.deny; iss and aud what herald serve expects.
    expect(payload.herald).toStrictEqual({ allow: { 'sensors.>': ['subscribe'], 'chat.>': ['publish', 'subscribe'] }, deny: { 'chat.admin.>': ['publish'] } });
    expect([payload.iss, payload.aud]).toStrictEqual(['herald', 'herald']);
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('refuses an unknown operation or a missing secret (exit 2)', async () => {
    expect((await herald(['token', '--secret', 's', '--user', 'u', '--allow', 'x.>:fly'])).code).toBe(2);
    expect((await herald(['token', '--user', 'u'])).code).toBe(2);
  });
});

describe('help and usage errors', SPAWNING, () => {
  it('every command has --help with examples', async () => {
    for (const command of ['serve', 'pub', 'sub', 'call', 'presence', 'methods', 'ping', 'token']) {
      const help = await herald([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^Usage: herald ${command}`));
      expect(help.stdout, command).toMatch(/Examples?:/);
    }
    const top = await herald(['--help']);
    expect(top.stdout).toMatch(/^herald: serve a Herald router/);
    expect(top.stdout).toContain('Date("2026-12-06T10:00:00Z")');
  });

  it('bad input exits 2 with a message; nothing is sent', async () => {
    const cases: string[][] = [
      ['pub', 'x.y', 'hello'],
      ['pub', 'x.y', '{ a: 1'],
      ['serve', '--port', 'abc'],
      ['serve', '--log-format', 'xml'],
      ['serve', '--bogus'],
      ['sub'],
      ['frobnicate'],
    ];
    for (const args of cases) {
      const result = await herald(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/^herald/);
    }
  });

  it('a refused option exits 2 with OPTION_INVALID, from the CLI\'s own check or from createRouter; a secret is never printed', async () => {
    const cases: string[][] = [
      ['serve', '--port', '99999'], // createRouter's range (0-65,535)
      ['serve', '--max-payload', '0'], // the CLI's --max-payload ≥ 1
      ['serve', '--log-level', 'loud'],
      ['serve', '--history', '10'],
      ['serve', '--admin-token', 'short-secret'],
      ['serve', '--jwt-secret', 'short-secret'],
    ];
    for (const args of cases) {
      const result = await herald(args);
      expect(result.code, args.join(' ')).toBe(2);
      // The CLI's own refusals print as usage errors; createRouter's as the log line of a failed start.
      expect(result.stderr, args.join(' ')).toContain('OPTION_INVALID');
      expect(result.stderr, args.join(' ')).not.toContain('short-secret');
    }
  });

  it('a router that is not there: exit 1 with the connection error code', async () => {
    const result = await herald(['ping', '--url', 'ws://127.0.0.1:1/']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^herald ping: CONNECTION_FAILED: /);
  });
});
