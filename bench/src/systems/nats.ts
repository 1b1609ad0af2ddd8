/**
 * NATS over WebSocket (issue 16): Debian's `nats-server` (a Go broker), installed with apt when
 * missing, listening for WebSocket clients on 127.0.0.1 (`websocket { no_tls: true }`), and
 * `@nats-io/nats-core`'s `wsconnect` on the clients with `ws` as the WebSocket (Node 20 has no
 * global one). The broker's process CPU is counted as router CPU (`externalPid`), added to the CPU
 * of the bench's server process, which is here the publishing client.
 *
 * A publish is one `superjson.stringify(data)` sent to the subject `topic`, so the payload carries
 * the same rich types as Herald's and ws+superjson's (the Date arrives as a Date). Requests are
 * NATS request/reply: the provider subscribes to `bench.echo` and answers with `msg.respond()`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsConnection, wsconnect } from '@nats-io/nats-core';
import superjson from 'superjson';
import WebSocket from 'ws';
import { type BenchCaller, type BenchPayload, ECHO_METHOD, type SystemAdapter, topicList, withTimeout } from './system.js';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** The nats-server binary: NATS_SERVER, a usual place, or Debian's package installed with apt (as root). */
export function ensureNatsServer(): string {
  const fromEnv = process.env.NATS_SERVER;
  if (fromEnv !== undefined) {
    if (!existsSync(fromEnv)) throw new Error(`NATS_SERVER is ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found !== undefined) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    throw new Error('nats-server is missing: install Debian\'s package (apt-get install nats-server) or set NATS_SERVER');
  }
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'nats-server']]) {
    console.error(`[bench] apt-get ${args.join(' ')}`);
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${result.status}): install nats-server by hand`);
  }
  const installed = CANDIDATES.find((path) => existsSync(path));
  if (installed === undefined) throw new Error('apt-get installed nats-server, but the binary is not where expected');
  return installed;
}

/** Starts the broker on random loopback ports; resolves with its WebSocket URL once it listens. */
async function startBroker(): Promise<{ child: ChildProcess; url: string; dir: string }> {
  const binary = ensureNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-nats-'));
  const config = join(dir, 'nats.conf');
  // 8 MB payloads for the 1 MB rows (superjson adds a little); the client port is unused but required.
  writeFileSync(config, 'host: 127.0.0.1\nport: -1\nmax_payload: 8MB\nwebsocket {\n  host: 127.0.0.1\n  port: -1\n  no_tls: true\n}\n');
  const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  // The server process exits with process.exit(): take the broker and its config down with it.
  process.once('exit', () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      let log = '';
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${log.slice(-500)}`)));
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        log += chunk;
        const match = /Listening for websocket clients on ws:\/\/([\d.]+):(\d+)/.exec(log);
        if (match !== null) resolve(`ws://${match[1]}:${match[2]}`);
      });
    }),
    10_000,
    'nats-server start',
  );
  return { child, url, dir };
}

function open(url: string, timeoutMs: number, onError: ((error: unknown) => void) | undefined): Promise<NatsConnection> {
  const connected = wsconnect({
    servers: url,
    timeout: timeoutMs,
    reconnect: false,
    wsFactory: async (u: string) => ({ socket: new WebSocket(u, { perMessageDeflate: false }) as never, encrypted: false }),
  });
  return withTimeout(connected, timeoutMs, 'nats connect').then((nc) => {
    void nc.closed().then((error) => error && onError?.(error));
    return nc;
  });
}

export const nats: SystemAdapter = {
  async startServer({ onError }) {
    const { child, url, dir } = await startBroker();
    const publisher = await open(url, 10_000, onError);
    return {
      url,
      externalPid: child.pid,
      publish(topic, data) {
        try {
          publisher.publish(topic, superjson.stringify(data));
        } catch (error) {
          onError(error);
        }
      },
      async close() {
        await publisher.close();
        child.kill();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },

  async connect(url, { topic, onMessage, onError }, timeoutMs) {
    const nc = await open(url, timeoutMs, onError);
    if (topic !== undefined) {
      for (const subject of topicList(topic)) {
        nc.subscribe(subject, {
          callback: (error, msg) => {
            if (error !== null) onError?.(error);
            else onMessage?.(superjson.parse<BenchPayload>(msg.string()));
          },
        });
      }
      // The broker has the subscription once it has answered the ping after it.
      await withTimeout(nc.flush(), timeoutMs, 'nats subscribe');
    }
    return { close: () => void nc.close() };
  },

  async provide(url, { onError }, timeoutMs) {
    const nc = await open(url, timeoutMs, onError);
    nc.subscribe(ECHO_METHOD, {
      callback: (error, msg) => {
        if (error !== null) return onError?.(error);
        const params = superjson.parse<BenchPayload>(msg.string());
        msg.respond(superjson.stringify(params));
      },
    });
    await withTimeout(nc.flush(), timeoutMs, 'nats provide');
    return { close: () => void nc.close() };
  },

  async caller(url, { onError }, timeoutMs) {
    const nc = await open(url, timeoutMs, onError);
    const caller: BenchCaller = {
      async request(params, timeout) {
        const reply = await nc.request(ECHO_METHOD, superjson.stringify(params), { timeout });
        return superjson.parse<BenchPayload>(reply.string());
      },
      close: () => void nc.close(),
    };
    return caller;
  },
};
