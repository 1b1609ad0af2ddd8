/**
 * A private Redis Sentinel setup for tests: a master, one replica and one sentinel (Debian's
 * redis-server binary run with `--sentinel`), each on a free loopback port, each ended by its pid.
 * The sentinel's periods are shortened (`SENTINEL DEBUG info-period/publish-period`) and failovers
 * are forced with `SENTINEL FAILOVER`, so a test never waits for failure detection: a failover
 * takes about a second. The failover is followed on the sentinel's own events (`+switch-master`),
 * and asked again when the sentinel gives it up (`-failover-abort-*`).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from './expectations.js';
import { type RedisServer, checkBinary, freePort, launchProcess, rawCommand, respEnd, startRedisServer } from './redis-server.js';

/** A master, a replica and a sentinel that watches them. Dispose it with `await using`. */
export interface RedisSentinel {
  /** The name the sentinel knows the master by (ioredis's `name`). */
  readonly name: string;
  /** The sentinel's address, as ioredis's `sentinels` option takes it. */
  readonly sentinels: Array<{ host: string; port: number }>;
  /** The servers: the first master, then its replica. */
  readonly servers: readonly [RedisServer, RedisServer];
  /** The port of the server the sentinel names as master now. */
  masterPort(): Promise<number>;
  /**
   * Forces a failover (`SENTINEL FAILOVER`, asked again while the sentinel has no replica it
   * trusts yet, and again when it gives the failover up); resolves with the new master's port at
   * the sentinel's `+switch-master`.
   */
  failover(): Promise<number>;
  /** Sends one command to the sentinel and resolves with the raw RESP reply. */
  command(...args: string[]): Promise<string>;
  /** Ends the sentinel, the replica and the master (by pid) and removes their directories. */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface RedisSentinelOptions {
  /** The master's name. Default `mymaster`. */
  name?: string;
  /** How long the master may be silent before the sentinel thinks it down. Default 1,000 ms. */
  downAfterMs?: number;
  /**
   * The sentinel's hello period (`SENTINEL DEBUG publish-period`): a demoted master that still says
   * it is a master is turned into a replica 4 periods after the failover. Default 100 ms (Redis: 2,000).
   */
  publishPeriodMs?: number;
}

/** How long the helper waits for the setup to settle, or for a failover, before it gives up. */
const SETTLE_MS = 15_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`startRedisSentinel: ${what} did not happen within ${SETTLE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A failover the sentinel gave up is asked again this many times before the helper fails. */
const FAILOVER_ATTEMPTS = 10;

/** One event the sentinel published: its channel (`+switch-master`, `-failover-abort-no-good-slave`…) and text. */
interface SentinelEvent {
  channel: string;
  text: string;
}

/** The sentinel's events (`PSUBSCRIBE *` on a connection of its own), from once it is subscribed. */
async function sentinelEvents(port: number): Promise<{ log: Log<SentinelEvent>; close: () => void }> {
  const socket = createConnection({ host: '127.0.0.1', port });
  const log = new Log<SentinelEvent>();
  let subscribed!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((subscribed = resolve), (failed = reject)));
  let buffer = Buffer.alloc(0);
  socket.on('error', (error) => failed(error));
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let end = respEnd(buffer, 0); end > 0; end = respEnd(buffer, 0)) {
      // A push is an array of bulk strings (`$length`, then the text) and integers (`:n`).
      const lines = buffer.toString('utf8', 0, end).split('\r\n');
      buffer = buffer.subarray(end);
      const words: string[] = [];
      for (let i = 1; i < lines.length; i++) {
        if (lines[i]!.startsWith('$')) words.push(lines[++i]!);
        else if (lines[i]!.startsWith(':')) words.push(lines[i]!.slice(1));
      }
      if (words[0] === 'psubscribe') subscribed();
      else if (words[0] === 'pmessage') log.push({ channel: words[2]!, text: words[3]! });
    }
  });
  socket.write('*2\r\n$10\r\nPSUBSCRIBE\r\n$1\r\n*\r\n');
  await ready;
  return { log, close: () => socket.destroy() };
}

/** Starts a master, a replica of it and a sentinel watching them; resolves once the sentinel knows the replica. */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  checkBinary();
  const name = options.name ?? 'mymaster';
  // No 5 s wait for more replicas before a full sync (the default diskless-sync delay).
  const fastSync = ['--repl-diskless-sync-delay', '0'];
  const master = await startRedisServer({ args: fastSync });
  let replica: RedisServer | undefined;
  let sentinel: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'herald-sentinel-'));
  const dispose = async (): Promise<void> => {
    if (sentinel !== undefined && sentinel.exitCode === null && sentinel.signalCode === null) {
      const exited = once(sentinel, 'exit');
      sentinel.kill('SIGKILL');
      await exited;
    }
    await replica?.[Symbol.asyncDispose]();
    await master[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    replica = await startRedisServer({ args: [...fastSync, '--replicaof', '127.0.0.1', String(master.port)] });
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} 10000`,
        '',
      ].join('\n'),
    );
    let port = 0;
    for (let attempt = 0; sentinel === undefined; attempt++) {
      port = await freePort();
      try {
        sentinel = await launchProcess(port, [conf, '--sentinel', '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--loglevel', 'warning', '--dir', dir]);
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
    const command = (...args: string[]): Promise<string> => rawCommand(port, args);
    // INFO every 100 ms instead of 10 s: the sentinel learns of the replica (and trusts it for a
    // failover) at once; by default a demoted master is turned into a replica after 0.4 s, not 8 s.
    await command('SENTINEL', 'DEBUG', 'info-period', '100', 'publish-period', String(options.publishPeriodMs ?? 100));
    const replicaPort = replica.port;
    await until('the replica syncing', async () => ((await replica!.command('INFO', 'replication')).includes('master_link_status:up') ? true : undefined));
    await until('the sentinel finding the replica', async () => ((await command('INFO', 'sentinel')).includes('slaves=1') ? true : undefined));
    const masterPort = async (): Promise<number> => {
      const reply = await command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
      return Number(/\$\d+\r\n(\d+)\r\n$/.exec(reply)?.[1]);
    };
    return {
      name,
      sentinels: [{ host: '127.0.0.1', port }],
      servers: [master, replica],
      masterPort,
      failover: async () => {
        const events = await sentinelEvents(port);
        try {
          let seen = 0;
          for (let attempt = 1; attempt <= FAILOVER_ATTEMPTS; attempt++) {
            await until('SENTINEL FAILOVER being accepted', async () => ((await command('SENTINEL', 'FAILOVER', name)).startsWith('+OK') ? true : undefined));
            // The failover ends in +switch-master, or is given up: -failover-abort-no-good-slave when,
            // on a busy machine, the sentinel's last INFO from the replica is older than 3 info periods
            // by the time it picks one (the command itself found it good). Then it is asked again.
            for (;;) {
              const event = (await events.log.until(++seen))[seen - 1]!;
              const words = event.text.split(' ');
              if (event.channel === '+switch-master' && words[0] === name) {
                const now = Number(words[4]);
                if (now !== master.port && now !== replicaPort) throw new Error(`startRedisSentinel: +switch-master to an unknown port: ${event.text}`);
                return now;
              }
              if (event.channel.startsWith('-failover-abort-')) break;
            }
          }
          const history = events.log.values.map((e) => `${e.channel} ${e.text}`).join('\n');
          throw new Error(`startRedisSentinel: the sentinel gave the failover up ${FAILOVER_ATTEMPTS} times:\n${history}`);
        } finally {
          events.close();
        }
      },
      command,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
