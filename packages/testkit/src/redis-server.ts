/**
 * A private `redis-server` for tests: started on a free loopback port with no persistence
 * (`--save '' --appendonly no`), ended by its pid. With `REDIS_URL` set (and `own` not asked for),
 * that server is used instead and nothing is started.
 *
 * Redis has no `--port 0`: a free port is found by binding a Node server to port 0 and closing
 * it; if another process takes the port in between, redis fails to bind and we try another.
 *
 * Also `@herald/testkit/redis-server`: this module imports nothing from Vitest, so that a program
 * (the demo's cluster mode) can start its Redis with it, without the test kit's Vitest side.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputTail } from './output-tail.js';

/** A redis-server for a test. Dispose it with `await using`. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** The running redis-server's process id (a new one after `restart`); undefined when not ours, or killed. */
  readonly pid: number | undefined;
  /** Whether this helper started the server (false with `REDIS_URL`): only then can it stop or restart it. */
  readonly owned: boolean;
  /** Kills the server (SIGKILL): every connection drops; what was not saved is gone. `restart` brings it back. */
  kill(): Promise<void>;
  /** Kills it and starts it again on the same port: empty, or from the snapshot of the last `SAVE`. */
  restart(): Promise<void>;
  /** Sends one command on a short-lived connection and resolves with the raw RESP reply. */
  command(...args: string[]): Promise<string>;
  /** Kills it for good and removes its directory. */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface RedisServerOptions {
  /** Start a server even when `REDIS_URL` is set (for tests that kill or restart it). */
  own?: boolean;
  /** More redis-server arguments (for example `['--replicaof', '127.0.0.1', '6379']`); implies `own`. */
  args?: readonly string[];
}

const BINARY = process.env.REDIS_SERVER ?? 'redis-server';

/** Throws, saying what to do, when redis-server cannot be run. */
export function checkBinary(): void {
  const probe = spawnSync(BINARY, ['--version'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `startRedisServer: cannot run ${BINARY}. Install it (\`node scripts/ensure-redis.mjs\`, or ` +
        '`sudo apt-get install redis-server`), set REDIS_SERVER to its path, or set REDIS_URL to a Redis to use.',
    );
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts redis-server on `port`; resolves once it accepts connections, rejects if it exits first.
 * Its directory is a temporary one of its own: only an explicit `SAVE` writes a snapshot there,
 * which a restart on the same port loads.
 */
async function launch(port: number, dir: string, args: readonly string[] = []): Promise<ChildProcess> {
  return launchProcess(port, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning', '--dir', dir, ...args]);
}

/** Runs redis-server with `argv`; resolves once `port` answers PING, rejects if it exits first. */
export async function launchProcess(port: number, argv: readonly string[]): Promise<ChildProcess> {
  const child = spawn(BINARY, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Bounded: the demo runs one for hours (output-tail.ts); the error shows only the end anyway.
  const output = new OutputTail();
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const exited = once(child, 'exit').then(() => {
    throw new Error(`redis-server exited on port ${port}: ${output.toString().trim().slice(-500)}`);
  });
  exited.catch(() => {});
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) return;
      try {
        if ((await rawCommand(port, ['PING'])).startsWith('+PONG')) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  await Promise.race([ready, exited]);
  if (child.exitCode !== null) await exited;
  return child;
}

/** Sends one command on a short-lived connection; resolves with the raw RESP reply, once complete. */
export function rawCommand(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (respEnd(reply, 0) === reply.length) {
        socket.end();
        resolve(reply.toString());
      }
    });
  });
}

/** Where the RESP value starting at `at` ends, or -1 while it is incomplete. */
export function respEnd(reply: Buffer, at: number): number {
  const crlf = reply.indexOf('\r\n', at);
  if (crlf === -1) return -1;
  const kind = String.fromCharCode(reply[at]!);
  const n = Number(reply.toString('latin1', at + 1, crlf));
  if (kind === '$') return n < 0 ? crlf + 2 : reply.length >= crlf + 4 + n ? crlf + 4 + n : -1;
  if (kind !== '*' || n < 0) return crlf + 2;
  let end = crlf + 2;
  for (let i = 0; i < n && end !== -1; i++) end = end < reply.length ? respEnd(reply, end) : -1;
  return end;
}

/** Starts a private redis-server (or uses `REDIS_URL`). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  if (external !== undefined && external !== '' && options.own !== true && options.args === undefined) {
    const port = Number(new URL(external).port || 6379);
    const refuse = (): Promise<void> => Promise.reject(new Error('startRedisServer: REDIS_URL is not ours to kill or restart'));
    return {
      url: external,
      port,
      pid: undefined,
      owned: false,
      kill: refuse,
      restart: refuse,
      command: (...args) => rawCommand(port, args),
      [Symbol.asyncDispose]: async () => {},
    };
  }
  checkBinary();
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, options.args);
    } catch (error) {
      if (attempt >= 5) throw error; // the port was taken meanwhile: try another
    }
  }
  let current: ChildProcess | undefined = child;
  const kill = async (): Promise<void> => {
    const running = current;
    current = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  const dispose = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current?.pid;
    },
    owned: true,
    kill,
    restart: async () => {
      await kill();
      current = await launch(port, dir, options.args);
    },
    command: (...args) => rawCommand(port, args),
    [Symbol.asyncDispose]: dispose,
  };
}
